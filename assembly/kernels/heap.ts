/** First byte after the module's static data: the host allocates weights and scratch from here. */
export function heap_base(): usize {
  return __heap_base;
}
