import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dedupe.clean.boilerplate import (
    BUILTIN_RULES,
    DIGIT_RULES,
    ascii_pattern,
    builtin_rule,
    related_block_rule,
    validate_patterns,
)
from dedupe.errors import ConfigError
from dedupe.normalize import normalized_text


def _rule(line: str) -> str | None:
    frame = pl.DataFrame({"line": [line]}).with_columns(normalized_text("line").alias("_key"))
    value = frame.select(builtin_rule()).item()
    return None if value is None else str(value)


@pytest.mark.parametrize(
    ("line", "rule"),
    [
        ("Loading...", "builtin:widget"),
        ("Most Popular", "builtin:widget"),
        ("Show More", "builtin:widget"),
        ("Related Articles", "builtin:widget"),
        ("Back to top button", "builtin:widget"),
        ("Verified by MonsterInsights", "builtin:widget"),
        ("Share | Tweet | Email", "builtin:share"),
        ("Sign up for our daily newsletter", "builtin:share"),
        ("Follow us on Twitter", "builtin:share"),
        ("ADVERTISEMENT", "builtin:advertisement"),
        ("Story continues below advertisement", "builtin:advertisement"),
        ("We use cookies to improve your experience. Accept", "builtin:cookie"),
        ("© 2023 The Cradle. All rights reserved.", "builtin:copyright"),
        ("(Photo Credit: AP)", "builtin:photo_credit"),
        ("AP Photo/Evan Vucci", "builtin:photo_credit"),
        ("https://media.example.co/uploads/2023/02/flags.jpg", "builtin:image_url"),
        ("By News Desk - February 28 2023", "builtin:byline"),
        ("News Desk | March 25 1987", "builtin:byline"),
        ("Posted by Alec Fenn on June 16 2004", "builtin:byline"),
        ("By Tom Okafor, March 20 1987", "builtin:byline"),
        ("Published April 01 1987 by Tom Okafor", "builtin:byline"),
        ("May 24 2004 | Tom Okafor", "builtin:byline"),
        ("News Desk", "builtin:byline"),
        ("Share on Facebook Share on Twitter Share via Email", "builtin:share"),
        ("X", "builtin:share"),
        ("Facebook X LinkedIn", "builtin:share"),
        ("Europe;Russia", "builtin:tag_list"),
        ("Updated: March 3, 2023 10:15 am", "builtin:date_stamp"),
        ("View 212 comments", "builtin:engagement"),
        ("Comments (14)", "builtin:engagement"),
        ("3.1K shares", "builtin:engagement"),
        ("Shares: 88", "builtin:engagement"),
        ("14 Kommentare", "builtin:engagement"),
        ("Commentaires : 3", "builtin:engagement"),
        ("5 hours ago", "builtin:timestamp"),
        ("vor 5 Stunden", "builtin:timestamp"),
        ("il y a 3 jours", "builtin:timestamp"),
        ("hace 2 horas", "builtin:timestamp"),
        ("2 ore fa", "builtin:timestamp"),
        ("há 3 dias", "builtin:timestamp"),
        ("5 uur geleden", "builtin:timestamp"),
        ("5 godzin temu", "builtin:timestamp"),
        ("5 часов назад", "builtin:timestamp"),
        ("Updated 4:12 PM ET, Monday Jan 9, 2017", "builtin:timestamp"),
        ("Last modified on Tuesday 3 Oct 2017 11.05 BST", "builtin:timestamp"),
        ("Aktualisiert am 12.03.2020, 14:05 Uhr", "builtin:timestamp"),
        ("23.06.2016 um 16:14 Uhr", "builtin:timestamp"),
        ("Actualizado el jueves 28 de abril de 2022 5:03 PM", "builtin:timestamp"),
        ("Опубликовано 12 мая 2020", "builtin:timestamp"),
        ("4 min read", "builtin:reading_time"),
        ("Lesezeit: 3 Minuten", "builtin:reading_time"),
        ("5 minutes de lecture", "builtin:reading_time"),
        ("Image 3 of 12", "builtin:gallery"),
        ("Bild 2 von 9", "builtin:gallery"),
        ("(12 Bilder)", "builtin:gallery"),
    ],
    ids=lambda value: str(value)[:24],
)
def test_builtin_rule_names_the_family(line: str, rule: str) -> None:
    assert _rule(line) == rule


@pytest.mark.parametrize(
    "line",
    [
        "Russia has offered to host peace talks between Armenia and Azerbaijan.",
        "Related articles in the treaty were signed in 1992, the minister said.",
        "By the end of the week, the ceasefire had collapsed.",
        "We use cookies as a bargaining chip, the baker joked; nobody laughed.",
        "Share prices fell 3% in Moscow on Wednesday.",
        "Show more restraint, Macron told both sides.",
        "Photo opportunities were rare; the summit was closed to the press.",
        "Alec Fenn",
        "Armenia and Nagorno Karabakh do not give in",
        "The summit | March 3 2005 was a success",
        "Prices rose - March 2004 figures",
        "Posted by the minister on June 16 2004, the letter was never answered.",
        "He said 5 hours ago the deal was done.",
        "Comments on 14 years of policy",
        "Updated guidance for 2017 tax filers",
        "Image processing in 12 steps",
        "Saturday night fever",
        "5 minutes",
        "The house has 3 bedrooms and 2 baths.",
        "X X X",
    ],
    ids=lambda value: str(value)[:24],
)
def test_builtin_rule_keeps_article_sentences(line: str) -> None:
    assert _rule(line) is None


@pytest.mark.parametrize(
    "line",
    [
        "Sign up for our daily newsletter",
        "Subscribe to our YouTube channel",
        "Follow us on Twitter, Facebook & Instagram",
        "Share on WhatsApp",
        "Get the Morning Briefing newsletter",
        "Russia has offered to host peace talks between Armenia and Azerbaijan.",
    ],
    ids=lambda value: str(value)[:24],
)
def test_builtin_rule_ascii_form_agrees_on_ascii_keys(line: str) -> None:
    frame = pl.DataFrame({"line": [line]}).with_columns(normalized_text("line").alias("_key"))
    assert frame.select(builtin_rule(ascii_only=True)).item() == frame.select(builtin_rule()).item()


def test_builtin_rules_are_anchored_on_both_ends() -> None:
    for name, pattern in BUILTIN_RULES.items():
        assert pattern.startswith("^"), name
        assert pattern.endswith("$"), name


def test_validate_patterns_rejects_look_around_naming_the_pattern() -> None:
    with pytest.raises(ConfigError, match=r"\(\?<=a\)b"):
        validate_patterns(("ok", "(?<=a)b"))


def test_validate_patterns_accepts_linear_time_patterns() -> None:
    validate_patterns((r"^Subscribe", r"(a+)+$"))


def _block_rules(lines: list[str], marks: list[str | None]) -> list[str | None]:
    frame = pl.DataFrame({"line": lines, "_mark": marks}, schema_overrides={"_mark": pl.String})
    frame = frame.with_columns(normalized_text("line").alias("_key"), pl.lit("a").alias("doc_id"))
    frame = frame.with_columns(
        pl.col("_key").str.len_chars().alias("_chars"), pl.lit(value=False).alias("_sentence")
    )
    return frame.select(related_block_rule("_mark", max_chars=120)).to_series().to_list()


def test_related_block_rule_removes_headlines_to_the_end_or_to_chrome() -> None:
    lines = ["Body of the article.", "Related Articles", "Title one", "", "TITLE TWO", "Show More"]
    marks = [None, "builtin:widget", None, None, None, "builtin:widget"]
    block = "builtin:related_block"
    assert _block_rules(lines, marks) == [None, "builtin:widget", block, None, block, marks[-1]]
    assert _block_rules(lines[:5], marks[:5]) == [None, "builtin:widget", block, None, block]


def test_related_block_rule_keeps_a_run_that_ends_in_content() -> None:
    lines = ["More from Sport", "A subheading", "The minister resigned on Tuesday."]
    assert _block_rules(lines, [None, None, None]) == [None, None, None]


def test_builtin_rule_without_digits_skips_the_digit_families() -> None:
    frame = pl.DataFrame({"_key": ["5 hours ago", "loading..."]})
    rules = frame.select(builtin_rule(digits=False)).to_series().to_list()
    assert rules == [None, "builtin:widget"]


@pytest.mark.parametrize(
    ("pattern", "expected"),
    [
        (r"^\w+\d$", "^[0-9A-Za-z_]+[0-9]$"),
        (r"[\w ]\.", r"[0-9A-Za-z_ ]\."),
        (r"[^;]", r"[^;\x{80}-\x{10FFFF}]"),
        (r"[]a.]b", "[]a.]b"),
        (r"[^]a]", r"[^]a\x{80}-\x{10FFFF}]"),
        (r"\bx\S", r"(?-u:\b)x[^\t\n\x0B\x0C\r ]"),
        (r"\p{L}.", r"[A-Za-z][\x00-\x09\x0B-\x7F]"),
    ],
    ids=["classes", "in-brackets", "negated", "literal-bracket", "negated-literal", "edges", "dot"],
)
def test_ascii_pattern_rewrites_unicode_classes(pattern: str, expected: str) -> None:
    assert ascii_pattern(pattern) == expected


# Pieces of the rules' own words, numbers and punctuation: random ASCII lines built from them
# reach deep into the patterns, where random letters would not.
_FRAGMENTS = [
    *"abcxyz019 .,:;|/-_()[]*\t\x0b'\"!?&#@",
    "share",
    "read more",
    "photo",
    "by ",
    "comments",
    "copyright",
    "(c)",
    "all rights reserved",
    "your email address will not be published",
    "cookies",
    "min read",
    "ago",
    "hours",
    "updated",
    "march 3, 2023",
    "10:15 am",
    "advertisement",
    "image 3 of 12",
    "https://",
    ".jpg",
    "www.",
    "follow us on",
    "newsletter",
    "reuters",
    "getty images",
    "news desk",
]


@settings(deadline=None)  # every rule on each line: its time follows the machine's load
@given(st.lists(st.sampled_from(_FRAGMENTS), max_size=12).map("".join))
def test_ascii_rules_match_ascii_lines_as_the_unicode_rules_do(line: str) -> None:
    frame = pl.DataFrame({"_key": [line]})
    for name, pattern in {**BUILTIN_RULES, **DIGIT_RULES}.items():
        unicode_match = frame.select(pl.col("_key").str.contains(pattern)).item()
        ascii_match = frame.select(pl.col("_key").str.contains(ascii_pattern(pattern))).item()
        assert ascii_match == unicode_match, name


def test_related_block_rule_keeps_the_headline_below_a_navigation() -> None:
    """The last short line above the first paragraph, past a byline, is the page's headline."""
    body = "The council met on Tuesday and voted on the new budget, " * 3
    lines = ["Top Stories", "Local", "World", "Council backs the budget", "By Jane Doe", body]
    marks = ["builtin:widget", None, None, None, "builtin:byline", None]
    block = "builtin:related_block"
    assert _block_rules(lines, marks) == [marks[0], block, block, None, marks[4], None]


@pytest.mark.parametrize(
    ("line", "rule"),
    [
        ("3 Gedanken zu “Need for Speed”", "builtin:comment_thread"),
        ("11 Antworten zu “Sunday Thoughts”", "builtin:comment_thread"),
        ("Hinterlassen Sie eine Antwort Antwort abbrechen", "builtin:comment_thread"),
        ("Sharen mit:", "builtin:comment_thread"),
        ("Markiert: #gesundheit, #winter", "builtin:tag_list"),
        ("Schlagworte zum Thema: Anwalt, Justiz", "builtin:tag_list"),
        ("Dienstag, 4. Juni 2019, 15:54", "builtin:timestamp"),
        ("28 kwietnia 2021", "builtin:timestamp"),
        ("Veröffentlichung: 2. Februar 2022", "builtin:timestamp"),
        ("Fot. Lukasz Nowaczyk / Agencja Gazeta", "builtin:photo_credit"),
        ("Crédits photos : Bestimage", "builtin:photo_credit"),
        ("Über den Autor", "builtin:widget"),
        ("Trending on Rough Draft", "builtin:widget"),
        ("Erdölpumpen im Abendrot. Bild: TebNad/Shutterstock.com", "builtin:caption_credit"),
        ("Photo by ev on Unsplash", "builtin:photo_credit"),
        ("2022 - Todos los derechos reservados.", "builtin:copyright"),
        ("Copyright: Gisele Wender", "builtin:copyright"),
    ],
)
def test_builtin_rule_knows_chrome_of_other_languages(line: str, rule: str) -> None:
    frame = pl.DataFrame({"line": [line]}).select(normalized_text("line").alias("_key"))
    assert frame.select(builtin_rule()).item() == rule


@pytest.mark.parametrize(
    "line",
    [
        "Am 4. Juni 2019 stimmte der Rat dem Plan mit 12 zu 3 Stimmen zu.",
        "12 Antworten auf die Umfrage kamen aus Berlin, sagte sie am Dienstag.",
        "Markt und Märkte",
        "The picture he painted: a country at war with itself, and a government without a plan.",
        "Die Zahl der Arbeitslosen stieg im Mai auf 2,3 Millionen (Quelle: Bundesagentur).",
    ],
)
def test_builtin_rule_leaves_prose_with_dates_and_counts(line: str) -> None:
    frame = pl.DataFrame({"line": [line]}).select(normalized_text("line").alias("_key"))
    assert frame.select(builtin_rule()).item() is None
