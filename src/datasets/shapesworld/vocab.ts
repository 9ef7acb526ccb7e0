/** The closed vocabulary of ShapesWorld: shape kinds, named colours, words, regions, directions. */
import type { RGB } from "./raster.js";

export const SHAPE_KINDS = ["circle", "square", "triangle", "star", "diamond"] as const;
export type ShapeKind = (typeof SHAPE_KINDS)[number];

export const PLURAL: Record<ShapeKind, string> = {
  circle: "circles",
  square: "squares",
  triangle: "triangles",
  star: "stars",
  diamond: "diamonds",
};

export const COLOR_NAMES = ["red", "green", "blue", "yellow", "purple", "orange"] as const;
export type ColorName = (typeof COLOR_NAMES)[number];

export const COLORS: Record<ColorName, RGB> = {
  red: [220, 30, 40],
  green: [30, 160, 60],
  blue: [30, 80, 220],
  yellow: [240, 205, 20],
  purple: [140, 50, 190],
  orange: [250, 125, 15],
};

/** Light backgrounds; all far from every shape colour. */
export const BACKGROUNDS: readonly RGB[] = [
  [250, 250, 250],
  [236, 240, 248],
  [248, 244, 232],
  [238, 248, 238],
  [225, 225, 225],
];

export const TEXT_COLOR: RGB = [20, 20, 20];

/** Short words rendered in the built-in font (reading questions answer them verbatim, upper case). */
export const WORDS = [
  "CAT", "DOG", "SUN", "SKY", "CAR", "BUS", "HAT", "CUP", "PEN", "MAP",
  "KEY", "BOX", "FOX", "OWL", "BEE", "EGG", "TOY", "ICE", "JAM", "ZOO",
] as const;

/** 3×3 regions, row-major, as named in position answers. */
export const REGIONS = [
  ["top left", "top", "top right"],
  ["left", "center", "right"],
  ["bottom left", "bottom", "bottom right"],
] as const;

export const DIRECTIONS = ["left", "right", "up", "down"] as const;
export type Direction = (typeof DIRECTIONS)[number];
