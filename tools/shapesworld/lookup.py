"""Attention supervision for the language model's look-up (training studies; nothing here is exported).

A language model trained from scratch on image rows sits for hundreds of steps at the loss of answering from the
question alone: it has to discover, with no signal but the answer, that one head should attend from the answer
to the rows of the object the question names. These give that signal directly: referenced_rows finds the rows
from the query labels (labels.query_labels) and the question's words, attention_loss pulls one head onto them.
"""
import re

import torch

from labels import COLORS, KINDS

COLOR_RX = "|".join(COLORS)
KIND_RX = "|".join(KINDS)


def referenced_rows(question, labels):
    """[n] bool: the rows (query labels [len(QUERY_CLASSES), n]) of the objects the question names: its "colour
    kind" pairs, else its colours / kinds, "word" / "number" for texts, every shape for "shapes"; none matched
    (e.g. a count that is 0) leaves the question unsupervised."""
    kind, colour = labels[0], labels[1]
    pairs = re.findall(rf"\b({COLOR_RX}) ({KIND_RX})s?\b", question)
    if pairs:
        out = torch.zeros_like(kind, dtype=torch.bool)
        for c, k in pairs:
            out |= (kind == KINDS.index(k) + 1) & (colour == COLORS.index(c) + 1)
        return out
    if re.search(r"\bword\b", question):
        return kind == 6
    if re.search(r"\bnumber\b", question):
        return kind == 7
    colours = [COLORS.index(c) + 1 for c in re.findall(rf"\b({COLOR_RX})\b", question)]
    kinds = [KINDS.index(k) + 1 for k in re.findall(rf"\b({KIND_RX})s?\b", question)]
    out = (kind >= 1) & (kind <= len(KINDS))
    if kinds:
        out &= torch.isin(kind, torch.tensor(kinds))
    if colours:
        out &= torch.isin(colour, torch.tensor(colours))
    return out if (kinds or colours or re.search(r"\bshapes?\b", question)) else torch.zeros_like(out)


def attention_loss(probs, batch):
    """Mean over answer tokens of -log(the probed head's attention mass on the rows the question names)."""
    sel = batch["labels"] != -100                                         # [b, S]: positions predicting answer tokens
    target = batch["attend"]                                              # [b, P]
    on = target.any(1)
    if not on.any():
        return probs.sum() * 0
    P = target.shape[1]
    mass = (probs[:, :, :P] * target[:, None, :]).sum(-1)                 # [b, S]
    keep = sel & on[:, None]
    return -(mass[keep] + 1e-6).log().mean()
