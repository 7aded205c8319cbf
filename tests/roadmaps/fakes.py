"""Generators for DECONSTRUCTION_GENERATOR in tests: the real LLM generator over a fake transport."""

import json

from django.db import connection

from roadmaps.deconstruction import LLMGenerator
from tests.roadmaps.plans import plan

CALLS: list[dict] = []


def answering(content, tokens: int = 900):
    def transport(url, headers, body, timeout):
        # How deep in transactions the request was made: the service must not hold one open.
        CALLS.append({"atomic_depth": len(connection.atomic_blocks), "body": json.loads(body)})
        text = content if isinstance(content, str) else json.dumps(content)
        return 200, json.dumps(
            {"choices": [{"message": {"content": text}}], "usage": {"total_tokens": tokens}}
        ).encode()

    return transport


class GoodLLM(LLMGenerator):
    def __init__(self):
        super().__init__(transport=answering(plan(milestones_per_level=2)))


class BadLLM(LLMGenerator):
    def __init__(self):
        super().__init__(transport=answering("Sure! Here is your plan: step 1, practise."))
