"""A small sentiment label for guests' free-text feedback, in Spanish and English.

Whole words only (so "bad" never matches inside "badminton", "mal" never inside "animal"), accents folded, and
negation-aware: a negator flips the next sentiment word up to three words on, within its clause ("no estaba
limpio" is negative, "not bad" is positive, "sin problemas, muy cómodo" is positive twice). The label is
positive, negative or neutral (none found, or as many of each).
"""

from __future__ import annotations

import re
import unicodedata
from typing import Literal

Label = Literal["positive", "negative", "neutral"]
NEGATION_REACH = 3

POSITIVE = frozenset(
    """
    excelente excelentes genial geniales bueno buena buenos buenas buenisimo buenisima perfecto perfecta
    limpio limpia limpios limpias amable amables atento atenta atentos atentas comodo comoda comodos comodas
    hermoso hermosa lindo linda lindos lindas rico rica ricos ricas encanto encantaron encanta encantado
    maravilloso maravillosa recomiendo recomendable increible impecable espectacular fantastico fantastica
    tranquilo tranquila agradable agradables feliz felices mejor gracias
    excellent great good perfect clean friendly helpful comfortable lovely nice beautiful amazing wonderful
    delicious quiet spotless fantastic awesome recommend recommended loved love enjoyed happy pleasant superb
    best kind welcoming
    """.split()
)
NEGATIVE = frozenset(
    """
    malo mala malos malas mal pesimo pesima horrible horribles sucio sucia sucios sucias ruido ruidoso ruidosa
    ruidos frio fria lento lenta lentos caro cara caros roto rota rotos rotas feo fea terrible desastre
    decepcion decepcionante decepcionado decepcionada grosero grosera groseros incomodo incomoda olor
    olia espantoso espantosa queja quejas problema problemas
    bad poor awful terrible dirty noisy noise rude slow cold broken expensive smelly smell disappointing
    disappointed horrible worst uncomfortable unfriendly nasty filthy problem problems complaint
    """.split()
)
NEGATORS = frozenset("no ni nunca jamas tampoco sin nada not never no-one nobody without hardly nor".split())
CONTRACTION = re.compile(r"n['’]t\b")
WORD = re.compile(r"[a-z]+")
CLAUSE = re.compile(r"[,.;:!?()\n]+")


def _fold(text: str) -> str:
    """Lower case without accents ("Pésimo" → "pesimo"), "n't" spelt "not"."""
    plain = unicodedata.normalize("NFKD", text.lower())
    plain = "".join(char for char in plain if not unicodedata.combining(char))
    return CONTRACTION.sub(" not", plain)


def label(text: str) -> Label:
    """The sentiment of ``text``: positive, negative or neutral."""
    score = 0
    for clause in CLAUSE.split(_fold(text)):  # a negation never reaches past a comma or a full stop
        words = WORD.findall(clause)
        negated_until = -1  # a negator flips the next sentiment word within reach, once
        for index, word in enumerate(words):
            if word in NEGATORS:
                negated_until = index + NEGATION_REACH
                continue
            polarity = 1 if word in POSITIVE else -1 if word in NEGATIVE else 0
            if polarity and index <= negated_until:
                polarity, negated_until = -polarity, -1
            score += polarity
    return "positive" if score > 0 else "negative" if score < 0 else "neutral"
