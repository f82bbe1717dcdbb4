""""social" opening a phrase that names something else ("social media", "social worker")
labels no number: "our social media post got <9 digits> views" is a count (held-out
probe's false alarm; recognizers/_common.py ``_ANOTHER_THING_AFTER``).  "social" alone,
"my social is", "social security" and another label nearer the number still label it.
Real detector."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from dlp_proxy.detect.engine import Engine

NUMBERS = ["536228710", "5362 28710"]
OTHER_THINGS = ["media", "Media", "network", "networking", "post", "posts", "event", "worker", "club", "hour",
                "platform", "channel", "feed", "team", "campaign", "content", "handle", "profile"]
COUNTS = ["our social {thing} post got {n} views", "the social {thing} reached {n} impressions",
          "Social {thing} numbers: {n} followers", "social {thing} budget {n}"]


def _ssn(engine: Engine, text: str) -> bool:
    return any(f.entity_type == "US_SSN" for f in engine.analyze(text))


@settings(max_examples=80, deadline=None)
@given(st.sampled_from(OTHER_THINGS), st.sampled_from(COUNTS), st.sampled_from(NUMBERS))
def test_social_opening_another_phrase_labels_no_number(engine: Engine, thing: str, form: str, n: str) -> None:
    text = form.format(thing=thing, n=n)
    assert not _ssn(engine, text), text


@settings(max_examples=60, deadline=None)
@given(st.sampled_from(["my social is {n}", "social {n}", "her social: {n}", "social security {n}",
                        "social sec # {n}", "social media team, SSN {n}", "posted on social media: SSN {n}",
                        "client's social - {n}"]),
       st.sampled_from(NUMBERS))
def test_social_as_a_label_still_labels(engine: Engine, form: str, n: str) -> None:
    text = form.format(n=n)
    assert _ssn(engine, text), text
