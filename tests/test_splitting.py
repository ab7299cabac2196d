from collections import Counter

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from stance.data.splitting import assign_splits
from stance.errors import StanceError

RATIOS = {"train": 0.8, "validation": 0.1, "test": 0.1}


@st.composite
def corpora(draw):
    n_docs = draw(st.integers(min_value=3, max_value=60))
    docs = {}
    for i in range(n_docs):
        counts = draw(st.dictionaries(st.sampled_from(["a", "b", "c"]), st.integers(1, 6), min_size=1, max_size=3))
        docs[f"d{i}"] = Counter(counts)
    return docs


@given(corpora(), st.integers(0, 10_000))
@settings(max_examples=150, deadline=None)
def test_every_document_lands_in_exactly_one_split(docs, seed):
    assignment = assign_splits(docs, RATIOS, seed)
    assert set(assignment) == set(docs)
    assert set(assignment.values()) <= set(RATIOS)
    # every split with a positive ratio gets at least one document
    assert set(assignment.values()) == set(RATIOS)


@given(st.lists(st.sampled_from(["a", "b"]), min_size=20, max_size=300), st.integers(0, 10_000))
@settings(max_examples=150, deadline=None)
def test_single_sentence_documents_are_exactly_stratified(labels, seed):
    docs = {f"d{i}": Counter({label: 1}) for i, label in enumerate(labels)}
    assignment = assign_splits(docs, RATIOS, seed)
    totals = Counter(labels)
    for split, ratio in RATIOS.items():
        have = Counter(docs[d].most_common(1)[0][0] for d, s in assignment.items() if s == split)
        for label, n in totals.items():
            assert abs(have[label] - ratio * n) <= 1.0 + 1e-9, (split, label, have[label], ratio * n)


def test_same_seed_same_assignment_and_other_seed_differs():
    docs = {f"d{i}": Counter({"a": 1 + i % 3, "b": i % 2}) for i in range(50)}
    assert assign_splits(docs, RATIOS, 1) == assign_splits(docs, RATIOS, 1)
    assert assign_splits(docs, RATIOS, 1) != assign_splits(docs, RATIOS, 2)


def test_too_few_documents_is_a_clear_error():
    with pytest.raises(StanceError, match="only 2 document"):
        assign_splits({"x": Counter(a=3), "y": Counter(b=2)}, RATIOS, 0)


def test_ratios_must_add_up():
    with pytest.raises(StanceError, match="add up"):
        assign_splits({f"d{i}": Counter(a=1) for i in range(9)}, {"train": 0.5, "validation": 0.1, "test": 0.1}, 0)


def test_large_documents_spread_over_every_split_instead_of_filling_train_first():
    # 30 long documents of one kind (e.g. whole addresses) and 300 short ones of another: before the
    # shortfall was relative, every long document went to train, leaving validation and test without that kind
    docs = {f"long{i}": Counter({"ab"[i % 2]: 50}) for i in range(30)}
    docs.update({f"short{i}": Counter({"ab"[i % 2]: 5}) for i in range(300)})
    assignment = assign_splits(docs, RATIOS, 7)
    for split, ratio in RATIOS.items():
        long_docs = sum(1 for d, s in assignment.items() if s == split and d.startswith("long"))
        assert abs(long_docs - ratio * 30) <= 1.5, (split, long_docs)
