"""Accessible learner pages: every form control is labelled, colours meet WCAG AA contrast,
and keyboard focus is visible."""

import re
from html.parser import HTMLParser
from pathlib import Path

import pytest

from tests.factories import UserFactory, make_roadmap

SITE_CSS = Path(__file__).resolve().parents[2] / "static" / "css" / "site.css"
WCAG_AA_TEXT = 4.5


class FormControls(HTMLParser):
    """Collects form controls and how they are labelled."""

    def __init__(self) -> None:
        super().__init__()
        self.controls: list[dict] = []
        self.label_targets: set[str] = set()
        self.open_labels = 0

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "label":
            self.open_labels += 1
            if attrs.get("for"):
                self.label_targets.add(attrs["for"])
        elif tag in {"input", "select", "textarea"} and attrs.get("type") not in {"hidden", "submit", "button"}:
            self.controls.append({**attrs, "tag": tag, "inside_label": self.open_labels > 0})

    def handle_endtag(self, tag):
        if tag == "label":
            self.open_labels -= 1

    def unlabelled(self) -> list[str]:
        return [
            control.get("name") or control["tag"]
            for control in self.controls
            if not (control.get("id") in self.label_targets or control["inside_label"] or control.get("aria-label"))
        ]


@pytest.mark.django_db
def test_every_form_control_on_the_learner_pages_has_a_label(client):
    learner = UserFactory()
    roadmap = make_roadmap(learner)
    pages = {"/accounts/login/": client.get("/accounts/login/"), "/accounts/signup/": client.get("/accounts/signup/")}
    client.force_login(learner)
    for url in ["/", f"/roadmaps/{roadmap.pk}/", "/practice/"]:
        pages[url] = client.get(url)
    for url, response in pages.items():
        parser = FormControls()
        parser.feed(response.content.decode())
        assert parser.controls or url == "/practice/", url
        assert parser.unlabelled() == [], url


def _relative_luminance(hex_colour: str) -> float:
    channels = [int(hex_colour[i : i + 2], 16) / 255 for i in (1, 3, 5)]
    linear = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


def contrast(foreground: str, background: str) -> float:
    lighter, darker = sorted([_relative_luminance(foreground), _relative_luminance(background)], reverse=True)
    return (lighter + 0.05) / (darker + 0.05)


def _palette() -> dict[str, str]:
    colours = dict(re.findall(r"--([a-z-]+):\s*(#[0-9a-fA-F]{6}|#fff)\b", SITE_CSS.read_text()))
    return {name: "#ffffff" if value == "#fff" else value for name, value in colours.items()}


def test_contrast_calculation_matches_known_values():
    assert round(contrast("#000000", "#ffffff"), 1) == 21.0
    assert round(contrast("#777777", "#ffffff"), 2) == 4.48  # the classic just-failing grey


@pytest.mark.parametrize(
    ("foreground", "background"),
    [
        ("ink", "bg"),  # body text
        ("ink", "card"),
        ("muted", "card"),  # secondary text, not-started badge
        ("muted", "bg"),
        ("accent", "card"),  # links, in-progress badge
        ("accent-ink", "accent"),  # primary buttons
        ("ok", "card"),  # completed badge
        ("bad", "card"),  # failed badge, form errors
        ("warn", "card"),
        ("card", "ink"),  # the header's white text
    ],
)
def test_text_colours_meet_wcag_aa_contrast(foreground, background):
    palette = _palette()
    assert contrast(palette[foreground], palette[background]) >= WCAG_AA_TEXT


def test_the_do_this_now_card_is_readable():
    assert contrast(_palette()["ink"], "#eef6ff") >= WCAG_AA_TEXT


def test_keyboard_focus_is_visible_on_every_interactive_element():
    css = SITE_CSS.read_text()
    rule = re.search(r"([^{}]*:focus-visible[^{}]*)\{([^}]*)\}", css)
    assert rule, "no :focus-visible rule"
    selectors, declarations = rule.groups()
    for element in ["a", "button", "input", "select", "textarea"]:
        assert f"{element}:focus-visible" in selectors
    assert "outline: 3px" in declarations
