"""Contracts are the platform's public promise: these tests keep them honest."""

import json

import pytest

from vfp_shared.asyncapi_docs import DOCS, documents
from vfp_shared.contracts.snapshot import drifted, published_contracts

PERSONAL_FIELD_WORDS = ("name", "email", "phone", "address", "text", "comment", "story")


def test_no_contract_changed_without_a_version_bump() -> None:
    assert drifted() == {}


@pytest.mark.parametrize("topic", sorted(published_contracts()))
def test_a_topic_name_carries_its_version(topic: str) -> None:
    model = published_contracts()[topic]
    assert topic == f"{model.EVENT_TYPE}.v{model.VERSION}"


@pytest.mark.parametrize("topic", sorted(published_contracts()))
def test_no_contract_has_a_field_for_personal_data(topic: str) -> None:
    fields = json.dumps(published_contracts()[topic].model_json_schema()).lower()
    properties = published_contracts()[topic].model_fields
    suspicious = [f for f in properties if any(word in f for word in PERSONAL_FIELD_WORDS)]
    assert suspicious == [], f"{topic} has fields that look personal: {suspicious}"
    assert fields  # the schema renders


def test_the_checked_in_asyncapi_documents_are_current() -> None:
    current = documents()  # every service's (it raises if one cannot be built)
    for service, document in current.items():
        path = DOCS / f"{service}.json"
        assert path.exists(), f"run `make contracts` to write {path}"
        assert path.read_text() == document, f"{path} is stale: run `make contracts`"
