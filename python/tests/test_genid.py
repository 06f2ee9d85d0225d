"""gen_id and its sibling functions from Python: the docs/reference.md §3.9 vectors, and a
property test over random inputs against an independent Python implementation of the reference
algorithm and against the CLI's SQL functions."""

from __future__ import annotations

import hashlib
import json
import random

import pytest

import cohortdb

# docs/reference.md §3.9: (stage, canonical signature, collision index, gen_id).
VECTORS = [
    ("draft", "combo-1|draft-a|gen-model|1", 0, "d_21hnyjluy35totlo"),
    ("draft", "combo-1|draft-a|gen-model|2", 0, "d_j20xxjx46jf04bt"),
    ("essay", "d_21hnyjluy35totlo|essay-x|1", 0, "e_2n6ko9fgp89xemwt"),
    ("evaluation", "e_2n6ko9fgp89xemwt|eval-1|eval-model|1", 0, "v_1i6m1c7p4o18cct"),
    ("draft", "combo|tpl|model|1", 0, "d_5cucb6yezk5z03ri"),
    ("draft", "combo|tpl|model|1", 1, "d_3lmvqkgnqsit2o5l-1"),
    ("draft", "comboa|draft-tpl|gen-model|2", 0, "d_518wg2h1qoy8ycab"),
    ("draft", "combo_v1_a|creative-synthesis-v10|gemini_25_pro|1", 0, "d_530mv6a462mquuj9"),
]

PREFIX = {"draft": "d_", "essay": "e_", "evaluation": "v_"}


def reference_gen_id(stage: str, parts, replicate: int, collision: int = 0) -> str:
    """The reference algorithm (docs/reference.md §3.9) written independently in Python."""
    signature = "|".join(p.strip().lower() for p in parts) + f"|{replicate}"
    if collision:
        signature += f"|collision:{collision}"
    value = int.from_bytes(hashlib.blake2b(signature.encode(), digest_size=10).digest(), "big")
    digits = ""
    while True:
        value, r = divmod(value, 36)
        digits = "0123456789abcdefghijklmnopqrstuvwxyz"[r] + digits
        if value == 0:
            break
    return PREFIX[stage] + digits + (f"-{collision}" if collision else "")


@pytest.mark.parametrize("stage,signature,collision,expected", VECTORS)
def test_reference_vectors(stage, signature, collision, expected):
    assert cohortdb.gen_id(stage, signature, collision) == expected


def test_signatures_normalise_like_the_reference():
    # docs/reference.md §6.10 D1 and §6.9 B1.
    sig = cohortdb.gen_signature("ComboA", "Draft-Tpl", "Gen-Model", 2)
    assert sig == "comboa|draft-tpl|gen-model|2"
    assert cohortdb.gen_id("draft", sig) == "d_518wg2h1qoy8ycab"
    d = cohortdb.gen_id("draft", cohortdb.gen_signature("combo-1", "draft-tpl", "draft-llm", 1))
    e = cohortdb.gen_id("essay", cohortdb.gen_signature(d, "essay-tpl", 1))
    v = cohortdb.gen_id("evaluation", cohortdb.gen_signature(e, "eval-tpl", "eval-llm", 1))
    assert (d, e, v) == ("d_4mo9abpjkxfv8d9u", "e_2rr554791t6lo4zc", "v_nvlzt6yvsseas4z")
    # Python whitespace, including the information separators U+001C..U+001F.
    assert cohortdb.gen_signature("\x1c Combo-1\u3000", "x", " 3 ") == "combo-1|x|3"


def test_digest_is_the_registry_digest():
    digest = cohortdb.gen_signature_digest("a|1")
    assert isinstance(digest, bytes) and len(digest) == 16


@pytest.mark.parametrize(
    "call,message",
    [
        (lambda: cohortdb.gen_signature("", 1), "signature part 1 is empty"),
        (lambda: cohortdb.gen_signature("a", None, 1), "argument 2 is NULL"),
        (lambda: cohortdb.gen_signature("a", "1.0"), 'replicate must be an integer, found "1.0"'),
        (lambda: cohortdb.gen_signature(1), "needs at least one part"),
        (lambda: cohortdb.gen_id("drafts", "a|1"), 'unknown stage "drafts"'),
        (lambda: cohortdb.gen_id("draft", "a|1", -1), "bad collision index -1"),
        (lambda: cohortdb.gen_signature_digest(1), "needs text, found an integer"),
    ],
)
def test_bad_arguments_raise_gen_id_error(call, message):
    with pytest.raises(cohortdb.GenIdError) as info:
        call()
    assert message in str(info.value)
    assert isinstance(info.value, ValueError)


ALPHABET = "abcXYZ019_-.ΣσİßǅΩ"
SPACES = [" ", "\t", "\x1c", "\x1f", "\u3000", "\u00a0", "\u2028"]


def random_part(rng: random.Random) -> str:
    core = "".join(rng.choice(ALPHABET) for _ in range(rng.randint(1, 10)))
    pad = lambda: "".join(rng.choice(SPACES) for _ in range(rng.randint(0, 2)))  # noqa: E731
    return pad() + core + pad()


def random_cases(seed: int, n: int):
    rng = random.Random(seed)
    for _ in range(n):
        stage = rng.choice(list(PREFIX))
        parts = [random_part(rng) for _ in range(rng.randint(1, 4))]
        yield stage, parts, rng.randint(-5, 10_000), rng.choice([0, 0, 0, 1, 2, 4])


def test_property_random_inputs_match_the_python_reference():
    for stage, parts, replicate, collision in random_cases(seed=15, n=2000):
        signature = cohortdb.gen_signature(*parts, replicate)
        assert cohortdb.gen_id(stage, signature, collision) == reference_gen_id(
            stage, parts, replicate, collision
        ), (stage, parts, replicate, collision)


def sql_text(s: str) -> str:
    return "'" + s.replace("'", "''") + "'"


def test_property_random_inputs_match_the_cli(cli, tmp_path):
    """The same random inputs through `cohortdb query "select gen_id(...)"`: one query, one
    row per case."""
    cli(["--db", "s.db", "init"], cwd=tmp_path)
    cases = list(random_cases(seed=1515, n=300))
    selects = []
    for i, (stage, parts, replicate, collision) in enumerate(cases):
        args = ", ".join([*(sql_text(p) for p in parts), str(replicate)])
        selects.append(
            f"select {i} as i, gen_id({sql_text(stage)}, gen_signature({args}), {collision}) as id"
        )
    sql = "select id from (" + " union all ".join(selects) + ") order by i"
    out = cli(["--db", "s.db", "query", sql, "--format", "jsonl"], cwd=tmp_path).stdout
    from_cli = [json.loads(line)["id"] for line in out.splitlines()]
    from_python = [
        cohortdb.gen_id(stage, cohortdb.gen_signature(*parts, replicate), collision)
        for stage, parts, replicate, collision in cases
    ]
    assert from_cli == from_python


def test_replicates_of_any_size_are_read_as_int_reads_them():
    """Python ints have no 64-bit limit, and the reference's int() reads text of any size;
    so do gen_signature and gen_id (docs/decisions.md D23)."""
    for replicate in [2**64, -(2**70), 99999999999999999999, 10**60]:
        for spelled in [replicate, str(replicate), f" {replicate:_} "]:
            signature = cohortdb.gen_signature("Combo-1", "draft-A", "gen-model", spelled)
            assert signature == f"combo-1|draft-a|gen-model|{replicate}"
            assert cohortdb.gen_id("draft", signature) == reference_gen_id(
                "draft", ["Combo-1", "draft-A", "gen-model"], replicate
            )
    with pytest.raises(cohortdb.GenIdError):
        cohortdb.gen_signature("a", "1__0")
