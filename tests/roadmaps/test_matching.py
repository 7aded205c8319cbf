"""Goal matching: a goal names a catalog entry however it is phrased; other goals get the
generic engine with the closest entries offered."""

import pytest

from roadmaps.catalog import catalog
from roadmaps.catalog.matching import closest_entries, content_words, goal_domain, match_goal, rank_entries

# At least three phrasings for each of these entries: aliases, typos, word order, lead-ins.
PHRASINGS = {
    "juggling": ["juggling 3 balls", "I want to juggle", "learn to jugle", "three ball cascade"],
    "spanish-conversation": ["spanish conversation", "learn conversational spanish", "speak spansh",
                             "I'd like to speak Spanish"],
    "french-conversation": ["learn french", "french conversation", "I want to speak frnech"],
    "japanese-beginner": ["learn japanese", "japanse for beginners", "hiragana and katakana"],
    "mandarin-chinese": ["learn mandarin", "chinese mandarin", "speak chinese with the right tones"],
    "american-sign-language": ["sign language", "learn ASL", "american sign langauge"],
    "acoustic-guitar": ["learn to play guitar", "guitar chords for beginners", "acoustic guiter"],
    "piano-beginner": ["play the piano", "piano lessons for adults", "learn pianno"],
    "singing": ["learn to sing", "sing in tune", "singing lessons", "I want to sing better"],
    "ukulele": ["play the ukulele", "ukelele", "uke strumming"],
    "drums": ["learn drums", "play the drum kit", "drumming for beginners"],
    "running-5k": ["run a 5k", "couch to 5k", "start running", "learn to run"],
    "first-pull-up": ["do a pull-up", "my first pullup", "chin up"],
    "freestyle-swimming": ["front crawl", "learn freestyle swimming", "swimming laps"],
    "handstand": ["how to do a handstand", "freestanding handstand", "hand stand"],
    "python-programming": ["learn python", "python programming for beginners", "pyhton"],
    "sql-databases": ["learn sql", "sql queries", "databases and sql joins"],
    "git-version-control": ["learn git", "version control with git", "github basics"],
    "html-css": ["build a website", "html and css", "learn html"],
    "javascript": ["learn javascript", "javascrpit", "js for beginners"],
    "chess": ["get better at chess", "chess openings", "learn chess tactics"],
    "rubiks-cube": ["solve a rubik's cube", "rubix cube", "speedcubing"],
    "public-speaking": ["public speaking", "get better at presentations", "overcome stage fright"],
    "touch-typing": ["touch typing", "type faster", "learn to type without looking"],
    "sourdough-bread": ["bake sourdough bread", "sourdoh", "bread baking"],
    "home-cooking": ["learn to cook", "cooking basics", "cook dinner from scratch"],
    "knitting": ["learn to knit", "knitting for beginners", "knit a hat"],
    "first-aid": ["first aid", "learn cpr", "basic first aid course"],
    "bike-maintenance": ["fix a flat tire", "bike repair", "bicycle maintenance"],
    "personal-budgeting": ["make a budget", "personal finance", "manage money better"],
}  # fmt: skip
CASES = [(entry, phrase) for entry, phrases in PHRASINGS.items() for phrase in phrases]


def test_the_phrasings_cover_at_least_20_entries_three_ways_each():
    assert len(PHRASINGS) >= 20 and all(len(phrases) >= 3 for phrases in PHRASINGS.values())
    assert set(PHRASINGS) <= set(catalog())


@pytest.mark.parametrize("entry, phrase", CASES, ids=[f"{e}: {p}" for e, p in CASES])
def test_a_phrasing_matches_its_entry(entry, phrase):
    match = match_goal(phrase)
    assert match is not None and match.entry.id == entry


@pytest.mark.parametrize("entry", list(catalog()))
def test_every_entry_is_matched_by_its_own_title_and_aliases(entry):
    item = catalog()[entry]
    for name in (item.title, *item.aliases):
        found = match_goal(name)
        assert found is not None and found.entry.id == entry, name


@pytest.mark.parametrize("goal", ["play the harmonica", "speak italian", "learn the cello", "make sushi"])
def test_a_goal_beside_the_catalog_matches_nothing_but_gets_plans_of_its_own_domain(goal):
    assert match_goal(goal) is None
    closest = closest_entries(goal)
    assert len(closest) == 3 and len({m.entry.id for m in closest}) == 3
    assert len({m.entry.domain for m in closest}) == 1


@pytest.mark.parametrize("goal", ["asdf qwer", "quantum gravity research", "", "learn to"])
def test_a_goal_of_no_known_domain_is_offered_nothing(goal):
    assert match_goal(goal) is None and goal_domain(goal) is None and closest_entries(goal) == []


def test_the_closest_entries_lean_towards_the_goal():
    assert [m.entry.domain for m in closest_entries("speak italian")] == ["languages"] * 3
    assert [m.entry.domain for m in closest_entries("learn the cello")] == ["music"] * 3
    assert [m.entry.id for m in closest_entries("learn to juggle", limit=1)] == ["juggling"]


def test_the_api_ranking_keeps_every_entry():
    assert len(rank_entries("learn the cello")) == len(catalog())


def test_lead_ins_and_numbers_are_normalised():
    assert content_words("I want to learn how to juggle 3 balls") == content_words("juggling three balls")
