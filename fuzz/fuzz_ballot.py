"""Fuzz the API's survey response body: bytes, then JSON, then `ResponseIn`, then the rules.

The API answers 400 to a body `json.loads` cannot read (django-ninja turns whatever it
raises into that answer, RecursionError for deep nesting included) and 422 to one that
`ResponseIn` refuses; any other exception is a crash. Every answer that validates is then
checked by `rules.check_choices` against three fixed questions, one of each kind: it must
answer None or a message, and None exactly when the answer is valid for that question.

Most random bytes are not JSON, and the JSON decoder is not instrumented, so an input that
is JSON is also mutated as JSON: a value replaced, a key or an element added or removed.
"""

import copy
import json
import random
import sys

import atheris

with atheris.instrument_imports(include=["dialogue"]):
    import common

    common.setup_django()

    from django.utils import translation
    from pydantic import ValidationError

    from dialogue.api.survey_schemas import ResponseIn
    from dialogue.surveys import rules

# (kind, max_choices, option ids) of a choose-one, a choose-up-to-2 and a ranking question.
QUESTIONS = (
    ("choose_one", 1, frozenset({11, 12, 13})),
    ("choose_up_to", 2, frozenset({21, 22, 23, 24})),
    ("rank", 3, frozenset({31, 32, 33})),
)


# What the structural mutation puts into a body: keys, values and the ends of their ranges.
FIELD_NAMES = ("answers", "option_comments", "comment", "expected_version")
ID_KEYS = ("1", "2", "3", "11", "21", "31", "0", "-1", " 1", "1.0", "01", str(2**63 - 1))
NUMBERS = (0, 1, 2, 3, 11, 12, 21, 22, 24, 31, 32, 33, -1, 2**31 - 1, 2**31, 2**63 - 1, 2**63)
OTHERS = (1.0, 1.5, True, False, None, "", "1", "x" * 2001, "\u0000", [], {}, [11, 11], [21, 22])
KEYS = (*FIELD_NAMES, *ID_KEYS, str(2**63))
VALUES = NUMBERS + OTHERS
TRAILING_BLANKS = ("", " ", "\n", "\t")


def mutate_json(value, rng: random.Random):
    """`value` with one of its parts replaced, added or removed, chosen by `rng`."""
    if isinstance(value, dict) and value and rng.random() < 0.7:
        key = rng.choice(list(value))
        value[key] = mutate_json(value[key], rng)
        return value
    if isinstance(value, list) and value and rng.random() < 0.5:
        index = rng.randrange(len(value))
        value[index] = mutate_json(value[index], rng)
        return value
    action = rng.randrange(4)
    if isinstance(value, dict) and action < 2:
        value[rng.choice(KEYS)] = copy.deepcopy(rng.choice(VALUES))
    elif isinstance(value, dict) and action == 2 and value:
        del value[rng.choice(list(value))]
    elif isinstance(value, list) and action < 2:
        value.insert(rng.randrange(len(value) + 1), copy.deepcopy(rng.choice(value or VALUES)))
    elif isinstance(value, list) and action == 2 and value:
        del value[rng.randrange(len(value))]
    elif isinstance(value, int) and not isinstance(value, bool) and action < 2:
        value += rng.choice((-1, 1))
    else:
        value = copy.deepcopy(rng.choice(VALUES))
    return value


def mutate(data: bytes, max_size: int, seed: int) -> bytes:
    """The next input: a JSON body mutated as JSON three times in four, otherwise as bytes."""
    rng = random.Random(seed)
    if rng.random() < 0.75:
        try:
            mutated = json.dumps(mutate_json(json.loads(data), rng))
        except (ValueError, RecursionError):
            pass
        else:
            mutated += rng.choice(TRAILING_BLANKS)
            if len(mutated) <= max_size:
                return mutated.encode()
    return atheris.Mutate(data, max_size)


def is_valid_answer(kind: str, max_choices: int, chosen: list[int], valid: frozenset) -> bool:
    """Whether `chosen` answers the question: distinct known options, not too many."""
    limit = 1 if kind == "choose_one" else max_choices
    return len(set(chosen)) == len(chosen) and set(chosen) <= valid and len(chosen) <= limit


def check_answer(chosen: list[int]) -> None:
    """Raise AssertionError if `check_choices` misjudges `chosen` for one of the questions."""
    for kind, max_choices, valid in QUESTIONS:
        problem = rules.check_choices(kind, max_choices, chosen, set(valid))
        expected = is_valid_answer(kind, max_choices, chosen, valid)
        if problem is None and not expected:
            raise AssertionError(f"{kind}: {chosen!r} accepted")
        if problem is not None and (expected or not isinstance(problem, str) or not problem):
            raise AssertionError(f"{kind}: {chosen!r} refused with {problem!r}")


def TestOneInput(data: bytes) -> None:
    """One body: refused as the API refuses it, or validated and checked by the rules."""
    try:
        body = json.loads(data)
    except (ValueError, RecursionError):
        return
    # The last byte picks the language of the messages; a trailing space keeps the JSON.
    language = common.LANGUAGES[data[-1] % len(common.LANGUAGES)]
    with translation.override(language):
        try:
            payload = ResponseIn.model_validate(body)
        except ValidationError:
            return
        for chosen in payload.answers.values():
            check_answer(chosen)


if __name__ == "__main__":
    atheris.Setup(sys.argv, TestOneInput, custom_mutator=mutate)
    atheris.Fuzz()
