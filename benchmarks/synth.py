"""Seeded generator of a labelled news corpus: syndicated near-duplicate copies and hard negatives.

Base articles are real (BBC News 2004-05 and Reuters-21578, read by path from ``--data-dir``) or
any list of :class:`Article` (the tests pass literals). Each *original* is published once on its
own site and then copied by other sites under their own chrome, with the edits newsrooms make:

=====================  ====================================================================
edit                   dose
=====================  ====================================================================
``chrome``             every copy: another site's header ("Loading...", menus), byline,
                       photo credit and image url, "Share this article", footer
                       ("Related Articles", "Back to top button", copyright)
``rescrape``           10% of copies: the same page scraped again, byte for byte
``trim``               30%: an editor's cut keeping the first 40-80% of paragraphs
``headline``           30%: a new headline (prefix, the lead's first words, or swapped words)
``words``              35%: 1-3% of words substituted or deleted
``move``               15%: one paragraph moved elsewhere
``update``             15%: an update paragraph appended
``whitespace``         30%: non-breaking spaces, lines of only NBSP, trailing blanks
=====================  ====================================================================

Hard negatives must never be merged with anything; each gets its own ``true_cluster``:

- ``follow_up``: a different article that reuses one or two background paragraphs of an
  original (at most 30% of either article's words).
- ``write_up``: a different article on the same topic (BBC category or Reuters topic) with one or
  two sentences of the original's facts or quotes dropped in.
- ``brief``: two or three sentences of an article under heavy site chrome; briefs come in groups
  of 3-5 on one site, so the chrome they share outweighs their text until it is cleaned.

Labels: ``true_cluster`` is ``a<pool index>`` of the base article a document's body comes from,
``kind`` says which of the above it is and ``edits`` lists a copy's edits; ``negative_of`` names the
cluster a hard negative must stay apart from (``g<n>`` is a brief group). The labels are exact as
long as no base article is used twice; past the pool's size (speed runs of 100k+ documents) bases
are reused with fresh edits, and only the speed numbers are meaningful.

A second mode, ``duplicate-heavy`` (:func:`generate_duplicate_heavy`, ``--mode``), is shaped
like a wire-heavy scrape: 4,000 stories each republished ``n_docs / 4000`` times (5 copies at
20,000 documents, 25 at 100,000), each copy under another site's chrome and a third of them
lightly edited; it measures how near-duplicate detection grows with the size of a cluster.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import lzma
import math
import random
import re
import zipfile
from collections import deque
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path

import polars as pl

DEFAULT_DATA_DIR = Path(__file__).resolve().parents[2] / "shared" / "data"
BBC_ZIP = Path("bbc_news") / "bbc-fulltext.zip"
REUTERS_JSONL = Path("reuters21578") / "reuters21578_parsed.jsonl.xz"
REUTERS_SILVER = Path("reuters21578") / "reuters_neardup_pairs_silver_J50.json"

LABEL_COLUMNS = ("true_cluster", "kind", "edits", "negative_of")
CORPUS_COLUMNS = ("doc_id", "text", "url", "source", "published", "title")

NBSP = "\u00a0"
DEFAULT_N_ORIGINALS = 2000


@dataclass(frozen=True, slots=True)
class Article:
    """A base article: a title and its paragraphs, with a topic for same-story write-ups."""

    key: str
    title: str
    paragraphs: tuple[str, ...]
    topic: str = ""
    published: date | None = None


@dataclass(frozen=True, slots=True)
class Site:
    """One publisher's chrome: what its scraped pages carry around the article."""

    name: str
    domain: str
    header: tuple[str, ...]
    footer: tuple[str, ...]
    # str.format fields: {author}, {date}.
    byline: str
    share: str = ""
    credit: str = ""
    paragraph_sep: str = "\n\n"
    # Extra lines of heavy chrome (navigation, newsletter, cookie notice) shown around briefs.
    nav: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True, kw_only=True)
class SynthConfig:
    """Doses of the generator. Probabilities are per copy, or per original for negatives."""

    n_originals: int = DEFAULT_N_ORIGINALS
    seed: int = 0
    # Number of near-duplicate copies of an original -> weight. Mean 1.72, so with the
    # negatives below a corpus has about 3 documents per original.
    copies_weights: tuple[tuple[int, float], ...] = (
        (0, 0.25),
        (1, 0.30),
        (2, 0.20),
        (3, 0.12),
        (4, 0.08),
        (6, 0.05),
    )
    p_rescrape: float = 0.10
    p_trim: float = 0.30
    trim_range: tuple[float, float] = (0.4, 0.8)
    p_headline: float = 0.30
    p_words: float = 0.35
    word_edit_range: tuple[float, float] = (0.01, 0.03)
    p_move: float = 0.15
    p_update: float = 0.15
    p_whitespace: float = 0.30
    p_follow_up: float = 0.10
    p_write_up: float = 0.10
    # Briefs per original, produced in groups of 3-5 on one site.
    brief_rate: float = 0.10
    # The harder classes (all off by default, so the pinned corpus stays as it was; HARD_MIX
    # turns them on). Per original: a brief of its first sentences, a headline and one
    # sentence, a deep cut to 10-40% of its words, a correction of one figure, a noisy copy.
    p_lead_brief: float = 0.0
    p_short_brief: float = 0.0
    p_deep_cut: float = 0.0
    deep_cut_range: tuple[float, float] = (0.1, 0.4)
    p_correction: float = 0.0
    p_noisy: float = 0.0
    # Templated reports (earnings, match, market, weather, election) per original, each a
    # different report of its kind; each is republished by 0-2 other sites, some corrected.
    templated_rate: float = 0.0

    def expected_docs_per_original(self) -> float:
        """Return the mean number of documents generated per original."""
        total = sum(w for _, w in self.copies_weights)
        copies = sum(n * w for n, w in self.copies_weights) / total
        harder = self.p_lead_brief + self.p_short_brief + self.p_deep_cut + self.p_correction
        harder += self.p_noisy + self.templated_rate * (1 + TEMPLATED_COPIES_MEAN)
        return 1.0 + copies + self.p_follow_up + self.p_write_up + self.brief_rate + harder


AUTHORS = (
    "Alec Fenn",
    "Maria Lopez",
    "John Carter",
    "Priya Nair",
    "News Desk",
    "Staff Reporter",
    "Wire Services",
    "Tom Okafor",
    "Sarah Klein",
    "Web Desk",
)

AGENCIES = ("AP", "AFP", "Reuters", "Getty Images", "EPA", "PA")

SITES: tuple[Site, ...] = (
    Site(
        name="The Cradle",
        domain="thecradle.co",
        header=("Loading...",),
        footer=("Most Popular", "Back to top button"),
        byline="By {author} - {date}",
        credit="(Photo Credit: {agency})",
        nav=("Home", "West Asia", "Economy", "Opinion", "Subscribe"),
    ),
    Site(
        name="Daily Ledger",
        domain="dailyledger.com",
        header=("Skip to content", "Menu", "Search"),
        footer=(
            "Related Articles",
            "Share this article",
            "\u00a9 2024 Daily Ledger. All rights reserved.",
        ),
        byline="{author} | {date}",
        share="Share this article",
        credit="Photo: {agency}",
        paragraph_sep="\n",
        nav=("News", "Politics", "Business", "Sport", "Culture", "Newsletters"),
    ),
    Site(
        name="Metro Wire",
        domain="metrowire.net",
        header=("Loading...", "Show More"),
        footer=("Related Articles", "Verified by MonsterInsights", "Back to top button"),
        byline="Published {date} by {author}",
        share="Share on Facebook Share on Twitter Share via Email",
        credit="(Photo Credit: {agency})",
        nav=("Top Stories", "Local", "World", "Tech", "Weather"),
    ),
    Site(
        name="Global Times Online",
        domain="globaltimes.online",
        header=("Advertisement",),
        footer=(
            "Most Popular",
            "Sign up for our newsletter",
            "Copyright \u00a9 2024 Global Times Online",
        ),
        byline="By {author}",
        share="Share this article",
        credit="Image: {agency} via Getty",
        paragraph_sep="\n",
        nav=("World", "Asia", "Europe", "Markets", "Opinion", "Video"),
    ),
    Site(
        name="Herald Review",
        domain="heraldreview.com",
        header=("Loading...",),
        footer=("Back to top button",),
        byline="{author}\n{date}",
        credit="{agency} Photo",
        nav=("Latest", "Region", "Nation", "Obituaries"),
    ),
    Site(
        name="NewsNow Hub",
        domain="newsnowhub.com",
        header=("Home \u00bb World", "Loading..."),
        footer=(
            "Related Articles",
            "Show More",
            "\u00a9 NewsNow Hub 2024. All rights reserved.",
            "Back to top button",
        ),
        byline="Posted by {author} on {date}",
        share="Share this article",
        credit="(Photo: {agency})",
        paragraph_sep="\n",
        nav=("Breaking", "Trending", "Entertainment", "Lifestyle", "Contact us"),
    ),
    Site(
        name="The Observer Post",
        domain="observerpost.org",
        header=("Subscribe", "Log in"),
        footer=("Most Read", "Terms of Use | Privacy Policy", "\u00a9 2024 The Observer Post"),
        byline="By {author}, {date}",
        credit="Photograph: {agency}",
        nav=("UK", "World", "Environment", "Science", "Sign in"),
    ),
    Site(
        name="Asia Pacific Report",
        domain="apreport.asia",
        header=("Loading...",),
        footer=("Related Articles", "Back to top button", "Verified by MonsterInsights"),
        byline="{date} | {author}",
        share="Share this article",
        credit="(Photo Credit: {agency})",
        nav=("Asia", "Pacific", "Business", "Features"),
    ),
)

ORIGIN_SITES = {
    "bbc": Site(
        name="BBC News",
        domain="news.bbc.co.uk",
        header=(),
        footer=(),
        byline="",
    ),
    "reuters": Site(
        name="Reuters",
        domain="reuters.com",
        header=(),
        footer=(),
        byline="",
        paragraph_sep="\n",
    ),
}

HEADLINE_PREFIXES = ("UPDATE 1-", "WRAPUP-", "Breaking: ", "EXCLUSIVE-", "Analysis: ")
HEADLINE_SUFFIXES = (" - report", " | World News", " (updated)", ": what we know")
UPDATE_LEADS = (
    "Update, {date}: ",
    "This story has been updated. ",
    "UPDATE: ",
    "Editor's note, {date}: ",
)

_SENTENCE = re.compile(r"(?:(?<=[.!?])|(?<=[.!?][\"\u201d']))\s+(?=[A-Z\"\u201c])")


def _sentences(paragraph: str) -> list[str]:
    return [s for s in _SENTENCE.split(paragraph) if s]


# ---------------------------------------------------------------------------------------------
# Loading base articles


def load_bbc_articles(data_dir: Path = DEFAULT_DATA_DIR) -> list[Article]:
    """Read the BBC News zip: one article a .txt, the first line its title, the folder its topic."""
    articles = []
    with zipfile.ZipFile(data_dir / BBC_ZIP) as archive:
        for name in sorted(archive.namelist()):
            if not name.endswith(".txt"):
                continue
            raw = archive.read(name).decode("utf-8", errors="replace")
            lines = raw.replace("\r\n", "\n").split("\n")
            title = lines[0].strip()
            paragraphs = tuple(p.strip() for p in lines[1:] if p.strip())
            category = name.split("/")[-2]
            stem = name.rsplit("/", 1)[-1].removesuffix(".txt")
            articles.append(
                Article(f"bbc/{category}/{stem}", title, paragraphs, topic=f"bbc:{category}")
            )
    return articles


def load_reuters_articles(
    data_dir: Path = DEFAULT_DATA_DIR, *, min_words: int = 80
) -> list[Article]:
    """Read Reuters-21578 stories of at least ``min_words`` words as base articles.

    Stories in any silver near-duplicate pair are left out, so that two base articles are never
    already copies of each other (the labels would be wrong).
    """
    silver = json.loads((data_dir / REUTERS_SILVER).read_text(encoding="utf-8"))
    in_pairs = {int(i) for _, a, b in silver for i in (a, b)}
    articles = []
    with lzma.open(data_dir / REUTERS_JSONL, "rt", encoding="utf-8") as lines:
        for line in lines:
            record = json.loads(line)
            body = (record.get("body") or "").strip()
            newid = int(record["newid"])
            if newid in in_pairs or len(body.split()) < min_words:
                continue
            body = re.sub(r"\s*\bREUTER\s*$", "", body, flags=re.IGNORECASE)
            # A new paragraph starts on an indented line; other line breaks are wrapping.
            paragraphs = tuple(
                " ".join(p.split()) for p in re.split(r"\n\s{2,}", body) if p.strip()
            )
            topics = record.get("topics") or []
            published = None
            if record.get("date"):
                try:
                    published = datetime.strptime(record["date"][:11], "%d-%b-%Y").date()
                except ValueError:
                    published = None
            articles.append(
                Article(
                    f"reuters/{newid}",
                    (record.get("title") or "").strip(),
                    paragraphs,
                    topic=f"reuters:{topics[0]}" if topics else "",
                    published=published,
                )
            )
    return articles


def load_base_articles(data_dir: Path = DEFAULT_DATA_DIR) -> list[Article]:
    """Read BBC and Reuters base articles, none a copy of another."""
    articles = unique_articles([*load_bbc_articles(data_dir), *load_reuters_articles(data_dir)])
    return distinct_articles(articles)


def distinct_articles(
    articles: Sequence[Article], *, ngram_size: int = 5, max_containment: float = 0.3
) -> list[Article]:
    """Drop each article that shares ``max_containment`` of its word n-grams with an earlier one.

    Both sources hold re-sent and rewritten versions of one story (Reuters' corrected stories
    below the silver pairs' Jaccard 0.5, BBC's repeats); as two originals they would be labelled
    distinct while being copies. N-grams found in more than 50 articles are stock phrases and
    are ignored, which also keeps the self-join small.
    """
    rows = []
    for index, article in enumerate(articles):
        words = " ".join(article.paragraphs).lower().split()
        grams = {" ".join(words[i : i + ngram_size]) for i in range(len(words) - ngram_size + 1)}
        rows += [(index, gram) for gram in grams]
    shingles = pl.DataFrame(rows, schema={"a": pl.Int64, "gram": pl.String}, orient="row")
    sizes = shingles.group_by("a").len("size")
    shared = shingles.filter(pl.len().over("gram").is_between(2, 50))
    pairs = (
        shared.join(shared, on="gram", suffix="_later")
        .filter(pl.col("a") < pl.col("a_later"))
        .group_by("a", "a_later")
        .len("common")
        .join(sizes, on="a")
        .join(sizes.rename({"a": "a_later", "size": "size_later"}), on="a_later")
        .filter(pl.col("common") >= max_containment * pl.min_horizontal("size", "size_later"))
    )
    dropped = set(pairs["a_later"].to_list())
    return [article for index, article in enumerate(articles) if index not in dropped]


def unique_articles(articles: Iterable[Article]) -> list[Article]:
    """Keep the first article of each body and of each opening paragraph.

    The BBC set repeats some stories verbatim; keying on the opening paragraph too drops the
    re-sent versions whose endings differ.
    """
    seen: set[str] = set()
    kept = []
    for article in articles:
        words = " ".join(article.paragraphs).lower().split()
        lead = " ".join(article.paragraphs[0].lower().split()) if article.paragraphs else ""
        keys = {"body:" + " ".join(words), "lead:" + lead}
        if not words or keys & seen:
            continue
        seen |= keys
        kept.append(article)
    return kept


# ---------------------------------------------------------------------------------------------
# Rendering a page


@dataclass(slots=True)
class _Doc:
    text: str
    url: str
    source: str
    published: date
    title: str
    true_cluster: str
    kind: str
    edits: str = ""
    negative_of: str = ""


def _docs_frame(docs: Sequence[_Doc], prefix: str) -> pl.DataFrame:
    """The corpus frame of generated documents, ids ``PREFIX-0000000`` on, in their order."""
    return pl.DataFrame(
        {
            "doc_id": [f"{prefix}-{i:07d}" for i in range(len(docs))],
            "text": [d.text for d in docs],
            "url": [d.url for d in docs],
            "source": [d.source for d in docs],
            "published": [d.published for d in docs],
            "title": [d.title for d in docs],
            "true_cluster": [d.true_cluster for d in docs],
            "kind": [d.kind for d in docs],
            "edits": [d.edits for d in docs],
            "negative_of": [d.negative_of or None for d in docs],
        },
        schema={
            "doc_id": pl.String,
            "text": pl.String,
            "url": pl.String,
            "source": pl.String,
            "published": pl.Date,
            "title": pl.String,
            "true_cluster": pl.String,
            "kind": pl.String,
            "edits": pl.String,
            "negative_of": pl.String,
        },
    )


@dataclass(slots=True)
class _State:
    rng: random.Random
    articles: Sequence[Article]
    fresh: deque[int]
    fresh_by_topic: dict[str, deque[int]] = field(default_factory=dict)
    used: set[int] = field(default_factory=set)
    reuse_round: int = 0


def _slug(title: str) -> str:
    words = re.findall(r"[a-z0-9]+", title.lower())[:8]
    return "-".join(words) or "story"


def _url(site: Site, title: str, day: date, rng: random.Random) -> str:
    return f"https://{site.domain}/{day:%Y/%m/%d}/{_slug(title)}-{rng.randrange(10**6):06d}"


def _render(
    site: Site,
    title: str,
    paragraphs: Sequence[str],
    day: date,
    rng: random.Random,
    *,
    heavy: bool = False,
    related: Sequence[str] = (),
) -> str:
    """Lay an article out as a scraped page of ``site``: chrome, title, byline, body, footer."""
    lines: list[str] = list(site.header)
    if heavy:
        lines += site.nav
    lines.append(title)
    if site.byline:
        author = rng.choice(AUTHORS)
        lines.append(site.byline.format(author=author, date=f"{day:%B %d %Y}"))
    if site.credit:
        lines.append(f"https://media.{site.domain}/wp-content/uploads/{day:%Y/%m}/")
        lines[-1] += f"img{rng.randrange(10**5):05d}.jpg"
        lines.append(site.credit.format(agency=rng.choice(AGENCIES)))
    if site.share:
        lines.append(site.share)
    head = "\n".join(lines)
    body = site.paragraph_sep.join(paragraphs)
    tail_lines = list(site.footer)
    if related and "Related Articles" in tail_lines:
        at = tail_lines.index("Related Articles") + 1
        tail_lines[at:at] = related
    if heavy:
        tail_lines += [
            "Sign up for our newsletter",
            "We use cookies to improve your experience. Accept",
            *site.nav,
        ]
    tail = "\n".join(tail_lines)
    return "\n\n".join(part for part in (head, body, tail) if part)


# ---------------------------------------------------------------------------------------------
# Edits


def _trim(paragraphs: list[str], rng: random.Random, low: float, high: float) -> list[str]:
    keep = max(1, round(len(paragraphs) * rng.uniform(low, high)))
    return paragraphs[:keep]


def _new_headline(title: str, paragraphs: Sequence[str], rng: random.Random) -> str:
    choice = rng.randrange(4)
    if choice == 0:
        return rng.choice(HEADLINE_PREFIXES) + title
    if choice == 1:
        return title + rng.choice(HEADLINE_SUFFIXES)
    if choice == 2 and paragraphs:
        words = paragraphs[0].split()
        return " ".join(words[: rng.randint(7, 12)]).rstrip(",;:")
    words = title.split()
    if len(words) >= 2:
        i = rng.randrange(len(words) - 1)
        words[i], words[i + 1] = words[i + 1], words[i]
    return " ".join(words)


def _word_edits(paragraphs: list[str], rng: random.Random, low: float, high: float) -> list[str]:
    """Substitute or delete ``low``-``high`` of the words: a sub-editor's fixes and typos."""
    tokens = [p.split(" ") for p in paragraphs]
    flat = [(i, j) for i, words in enumerate(tokens) for j in range(len(words))]
    if not flat:
        return paragraphs
    n_edits = max(1, round(len(flat) * rng.uniform(low, high)))
    vocabulary = [w for words in tokens for w in words]
    for i, j in sorted(rng.sample(flat, min(n_edits, len(flat))), reverse=True):
        if rng.random() < 0.3 and len(tokens[i]) > 1:
            del tokens[i][j]
        else:
            tokens[i][j] = rng.choice(vocabulary)
    return [" ".join(words) for words in tokens]


def _move_paragraph(paragraphs: list[str], rng: random.Random) -> list[str]:
    moved = list(paragraphs)
    source = rng.randrange(1, len(moved))
    paragraph = moved.pop(source)
    target = rng.choice([k for k in range(len(moved) + 1) if k != source])
    moved.insert(target, paragraph)
    return moved


def _whitespace_noise(text: str, rng: random.Random) -> str:
    """Scatter non-breaking spaces, NBSP-only lines and trailing blanks through a page."""
    lines = text.split("\n")
    noisy = []
    for line in lines:
        if line and rng.random() < 0.3:
            words = line.split(" ")
            line = (
                "".join(w + (NBSP if rng.random() < 0.05 else " ") for w in words[:-1]) + words[-1]
            )
        if line and rng.random() < 0.2:
            line += rng.choice(("  ", " \t", NBSP))
        noisy.append(line)
        if rng.random() < 0.08:
            noisy.append(rng.choice((NBSP, " " + NBSP + " ", "")))
    return "\n".join(noisy)


# ---------------------------------------------------------------------------------------------
# Generation


def _next_fresh(state: _State, topic: str = "") -> int | None:
    """Take an unused base article, of ``topic`` if given; None when there is none left."""
    if topic:
        queue = state.fresh_by_topic.get(topic)
        while queue:
            index = queue.popleft()
            if index not in state.used:
                state.used.add(index)
                return index
        return None
    while state.fresh:
        index = state.fresh.popleft()
        if index not in state.used:
            state.used.add(index)
            return index
    # Past the pool's end: reuse articles (speed runs), labels become approximate.
    state.reuse_round += 1
    return state.rng.randrange(len(state.articles))


def _make_copy(
    article: Article,
    cluster: str,
    origin: _Doc,
    previous: list[_Doc],
    state: _State,
    config: SynthConfig,
) -> _Doc:
    rng = state.rng
    if previous and rng.random() < config.p_rescrape:
        page = rng.choice(previous)
        return _Doc(
            page.text,
            page.url,
            page.source,
            page.published,
            page.title,
            cluster,
            "copy",
            "rescrape",
        )
    site = rng.choice(SITES)
    paragraphs = list(article.paragraphs)
    title = article.title
    edits = ["chrome"]
    if len(paragraphs) >= 2 and rng.random() < config.p_trim:
        paragraphs = _trim(paragraphs, rng, *config.trim_range)
        edits.append("trim")
    if rng.random() < config.p_headline:
        title = _new_headline(title, paragraphs, rng)
        edits.append("headline")
    if rng.random() < config.p_words:
        paragraphs = _word_edits(paragraphs, rng, *config.word_edit_range)
        edits.append("words")
    if len(paragraphs) >= 3 and rng.random() < config.p_move:
        paragraphs = _move_paragraph(paragraphs, rng)
        edits.append("move")
    day = origin.published + timedelta(days=rng.randint(0, 3))
    if rng.random() < config.p_update:
        donor = state.articles[rng.randrange(len(state.articles))]
        extra = rng.choice(donor.paragraphs) if donor.paragraphs else "More details to follow."
        paragraphs.append(rng.choice(UPDATE_LEADS).format(date=f"{day:%B %d}") + extra)
        edits.append("update")
    related = [state.articles[rng.randrange(len(state.articles))].title for _ in range(3)]
    text = _render(site, title, paragraphs, day, rng, related=related)
    if rng.random() < config.p_whitespace:
        text = _whitespace_noise(text, rng)
        edits.append("whitespace")
    return _Doc(
        text, _url(site, title, day, rng), site.name, day, title, cluster, "copy", ",".join(edits)
    )


def _make_follow_up(original: Article, cluster: str, day: date, state: _State) -> _Doc | None:
    rng = state.rng
    index = _next_fresh(state)
    if index is None or len(original.paragraphs) < 3:
        return None
    other = state.articles[index]
    original_words = sum(len(p.split()) for p in original.paragraphs)
    other_words = sum(len(p.split()) for p in other.paragraphs)
    background: list[str] = []
    budget = 0.3 * min(original_words, other_words)
    for position in rng.sample(range(1, len(original.paragraphs)), len(original.paragraphs) - 1):
        words = len(original.paragraphs[position].split())
        if budget - words >= 0 and len(background) < 2:
            background.append(original.paragraphs[position])
            budget -= words
    if not background:
        return None
    paragraphs = list(other.paragraphs)
    at = min(2, len(paragraphs))
    paragraphs[at:at] = background
    site = rng.choice(SITES)
    later = day + timedelta(days=rng.randint(1, 20))
    text = _render(site, other.title, paragraphs, later, rng)
    return _Doc(
        text,
        _url(site, other.title, later, rng),
        site.name,
        later,
        other.title,
        f"a{index}",
        "follow_up",
        "",
        cluster,
    )


def _make_write_up(original: Article, cluster: str, day: date, state: _State) -> _Doc | None:
    rng = state.rng
    if not original.topic:
        return None
    index = _next_fresh(state, original.topic)
    if index is None:
        return None
    other = state.articles[index]
    sentences = [s for p in original.paragraphs for s in _sentences(p)]
    facts = [s for s in sentences if re.search(r"[0-9\"\u201c]", s)] or sentences
    if not facts or not other.paragraphs:
        return None
    paragraphs = list(other.paragraphs)
    for fact in rng.sample(facts, min(len(facts), rng.randint(1, 2))):
        at = rng.randrange(len(paragraphs))
        paragraphs[at] = f"{paragraphs[at]} {fact}"
    site = rng.choice(SITES)
    text = _render(site, other.title, paragraphs, day, rng)
    return _Doc(
        text,
        _url(site, other.title, day, rng),
        site.name,
        day,
        other.title,
        f"a{index}",
        "write_up",
        "",
        cluster,
    )


def _make_briefs(group: int, state: _State, start: date) -> list[_Doc]:
    rng = state.rng
    site = rng.choice(SITES)
    # The same trending list under every brief of the group: heavy, identical chrome.
    trending = [state.articles[rng.randrange(len(state.articles))].title for _ in range(5)]
    docs = []
    for _ in range(rng.randint(3, 5)):
        index = _next_fresh(state)
        if index is None:
            break
        article = state.articles[index]
        sentences = [s for p in article.paragraphs for s in _sentences(p)]
        body = " ".join(sentences[: rng.randint(2, 3)])
        day = start + timedelta(days=rng.randint(0, 5))
        text = _render(site, article.title, [body], day, rng, heavy=True, related=trending)
        docs.append(
            _Doc(
                text,
                _url(site, article.title, day, rng),
                site.name,
                day,
                article.title,
                f"a{index}",
                "brief",
                "",
                f"g{group}",
            )
        )
    return docs


# ---------------------------------------------------------------------------------------------
# Harder classes: contained copies, corrections, noisy copies, templated reports

# Mean number of other sites republishing one templated report (weights below).
TEMPLATED_COPIES = ((0, 0.5), (1, 0.3), (2, 0.2))
TEMPLATED_COPIES_MEAN = sum(n * w for n, w in TEMPLATED_COPIES)
TEMPLATE_KINDS = ("earnings", "match", "market", "weather", "election")
_FIGURE = re.compile(r"(?<![\w.,])\d+(?:\.\d+)?(?![\w]|[.,]\d)")
# OCR-like confusions, both ways.
_OCR = (("rn", "m"), ("m", "rn"), ("l", "1"), ("1", "l"), ("O", "0"), ("0", "O"), ("e", "c"))
_TYPOGRAPHY = (("'", "\u2019"), (" - ", " \u2013 "), ("--", "\u2014"))


def _lead_sentences(article: Article) -> list[str]:
    """The article's sentences; a fragment under six words ("Sen.") joins the next one."""
    sentences: list[str] = []
    pending = ""
    for sentence in (s for p in article.paragraphs for s in _sentences(p)):
        sentence = f"{pending} {sentence}".strip()
        pending = sentence if len(sentence.split()) < 6 else ""
        if not pending:
            sentences.append(sentence)
    return sentences


def _copy_doc(
    site: Site,
    title: str,
    paragraphs: Sequence[str],
    day: date,
    cluster: str,
    edits: str,
    rng: random.Random,
    *,
    negative_of: str = "",
) -> _Doc:
    text = _render(site, title, paragraphs, day, rng)
    return _Doc(
        text,
        _url(site, title, day, rng),
        site.name,
        day,
        title,
        cluster,
        "copy",
        edits,
        negative_of,
    )


def _deep_cut(paragraphs: Sequence[str], share: float) -> list[str]:
    """The first ``share`` of an article's words, in whole sentences, paragraphs kept."""
    budget = share * sum(len(p.split()) for p in paragraphs)
    kept: list[str] = []
    for paragraph in paragraphs:
        sentences = []
        for sentence in _sentences(paragraph):
            if budget <= 0:
                break
            sentences.append(sentence)
            budget -= len(sentence.split())
        if sentences:
            kept.append(" ".join(sentences))
        if budget <= 0:
            break
    return kept


def _correct_one_figure(paragraphs: list[str], rng: random.Random) -> list[str] | None:
    """Change one figure of the text (a wire correction); None when it has no figure."""
    found = [(i, m) for i, p in enumerate(paragraphs) for m in _FIGURE.finditer(p)]
    found = [(i, m) for i, m in found if not 1900 <= float(m.group()) <= 2030]
    if not found:
        return None
    at, match = rng.choice(found)
    figure = match.group()
    if "." in figure:
        whole, fraction = figure.split(".")
        new = f"{whole}.{(int(fraction[-1]) + rng.randint(1, 8)) % 10}".rjust(len(figure))
        new = f"{whole}.{fraction[:-1]}{new[-1]}"
    else:
        value = int(figure)
        new = str(value + rng.choice((-1, 1)) * rng.randint(1, max(1, value // 5)))
        new = new if new != figure and not new.startswith("-") else str(value + 1)
    corrected = list(paragraphs)
    paragraph = paragraphs[at]
    corrected[at] = paragraph[: match.start()] + new + paragraph[match.end() :]
    return corrected


def _character_noise(paragraphs: Sequence[str], rng: random.Random) -> list[str]:
    """OCR-like confusions, swapped and dropped letters in about 2% of the words."""
    noisy = []
    for paragraph in paragraphs:
        words = paragraph.split(" ")
        for k, word in enumerate(words):
            if len(word) < 4 or rng.random() >= 0.02:
                continue
            choice = rng.randrange(3)
            pairs = [(a, b) for a, b in _OCR if a in word]
            if choice == 0 and pairs:
                a, b = rng.choice(pairs)
                words[k] = word.replace(a, b, 1)
            elif choice == 1:
                j = rng.randrange(len(word) - 1)
                words[k] = word[:j] + word[j + 1] + word[j] + word[j + 2 :]
            else:
                j = rng.randrange(len(word))
                words[k] = word[:j] + word[j + 1 :]
        noisy.append(" ".join(words))
    return noisy


def _split_and_join(paragraphs: Sequence[str], rng: random.Random) -> list[str]:
    """Run about 1% of neighbouring words together and split about 1% of long words."""
    noisy = []
    for paragraph in paragraphs:
        out: list[str] = []
        for word in paragraph.split(" "):
            if out and rng.random() < 0.01:
                out[-1] += word
            elif len(word) >= 6 and rng.random() < 0.01:
                j = rng.randrange(2, len(word) - 2)
                out += [word[:j], word[j:]]
            else:
                out.append(word)
        noisy.append(" ".join(out))
    return noisy


def _hard_wrap(paragraphs: Sequence[str], rng: random.Random) -> list[str]:
    """Wrap each paragraph at 60-75 characters, hyphenating some long words across lines."""
    width = rng.randint(60, 75)
    wrapped = []
    for paragraph in paragraphs:
        lines: list[str] = []
        line = ""
        for word in paragraph.split(" "):
            if len(line) + 1 + len(word) <= width or not line:
                line = f"{line} {word}" if line else word
                continue
            room = width - len(line) - 2
            if len(word) >= 8 and room >= 3 and rng.random() < 0.5:
                lines.append(f"{line} {word[:room]}-")
                line = word[room:]
            else:
                lines.append(line)
                line = word
        wrapped.append("\n".join([*lines, line]))
    return wrapped


def _entity_residue(text: str) -> str:
    return text.replace("&", "&amp;").replace("'", "&#8217;").replace('"', "&quot;")


def _typography(text: str) -> str:
    text = re.sub(r'"([^"]*)"', "\u201c\\1\u201d", text)
    for plain, typographic in _TYPOGRAPHY:
        text = text.replace(plain, typographic)
    return text


def _noisy_copy(article: Article, rng: random.Random) -> tuple[list[str], list[str]]:
    """A copy through a bad extractor or OCR: a random non-empty subset of five noises."""
    noises = [
        n for n in ("chars", "split_join", "wrap", "entities", "typography") if rng.random() < 0.5
    ]
    noises = noises or [rng.choice(("chars", "split_join", "wrap", "entities", "typography"))]
    paragraphs = list(article.paragraphs)
    if "typography" in noises:
        paragraphs = [_typography(p) for p in paragraphs]
    if "entities" in noises:
        paragraphs = [_entity_residue(p) for p in paragraphs]
    if "chars" in noises:
        paragraphs = _character_noise(paragraphs, rng)
    if "split_join" in noises:
        paragraphs = _split_and_join(paragraphs, rng)
    if "wrap" in noises:
        paragraphs = _hard_wrap(paragraphs, rng)
    return paragraphs, [f"noise_{n}" for n in noises]


def make_harder_copies(
    article: Article, cluster: str, origin: _Doc, state: _State, config: SynthConfig
) -> list[_Doc]:
    """Copies of an original beyond the syndicated ones: briefs, deep cuts, corrections, noise.

    Each is a true copy (``kind`` ``copy``, the original's cluster), on another site under its
    chrome; ``edits`` names the class (``lead_brief``, ``short_brief``, ``deep_cut``,
    ``correction``, ``noise`` with ``noise_<kind>`` for each noise applied). No random number is
    drawn for a class whose dose is 0.
    """
    rng = state.rng
    docs: list[_Doc] = []

    def day() -> date:
        return origin.published + timedelta(days=rng.randint(0, 3))

    def title() -> str:
        if rng.random() < 0.3:
            return _new_headline(article.title, article.paragraphs, rng)
        return article.title

    sentences = _lead_sentences(article)
    if config.p_lead_brief and rng.random() < config.p_lead_brief and len(sentences) >= 4:
        body = " ".join(sentences[: rng.randint(2, 3)])
        docs.append(
            _copy_doc(rng.choice(SITES), title(), [body], day(), cluster, "lead_brief", rng)
        )
    if config.p_short_brief and rng.random() < config.p_short_brief and len(sentences) >= 4:
        # A headline and one sentence: the headline is kept (see README, very short documents).
        docs.append(
            _copy_doc(
                rng.choice(SITES), article.title, sentences[:1], day(), cluster, "short_brief", rng
            )
        )
    if config.p_deep_cut and rng.random() < config.p_deep_cut and len(sentences) >= 6:
        cut = _deep_cut(article.paragraphs, rng.uniform(*config.deep_cut_range))
        docs.append(_copy_doc(rng.choice(SITES), title(), cut, day(), cluster, "deep_cut", rng))
    if config.p_correction and rng.random() < config.p_correction:
        paragraphs = list(article.paragraphs)
        edits = ["correction"]
        if len(paragraphs) >= 3 and rng.random() < 0.5:
            paragraphs = _trim(paragraphs, rng, 0.5, 0.9)
            edits.append("trim")
        corrected = _correct_one_figure(paragraphs, rng)
        if corrected is not None:
            if rng.random() < 0.5:
                corrected.append(f"(Corrects figure in paragraph {rng.randint(1, len(corrected))})")
            docs.append(
                _copy_doc(
                    rng.choice(SITES),
                    article.title,
                    corrected,
                    day(),
                    cluster,
                    ",".join(edits),
                    rng,
                )
            )
    if config.p_noisy and rng.random() < config.p_noisy:
        paragraphs, noises = _noisy_copy(article, rng)
        docs.append(
            _copy_doc(
                rng.choice(SITES),
                article.title,
                paragraphs,
                day(),
                cluster,
                ",".join(["noise", *noises]),
                rng,
            )
        )
    return docs


FIRST_NAMES = (
    "Anna",
    "Ben",
    "Carla",
    "David",
    "Elena",
    "Farid",
    "Grace",
    "Hiro",
    "Ines",
    "Jonas",
    "Kemi",
    "Lars",
    "Mona",
    "Nikhil",
    "Olga",
    "Pedro",
    "Rosa",
    "Sven",
    "Tara",
    "Victor",
)
LAST_NAMES = (
    "Adams",
    "Brandt",
    "Costa",
    "Dubois",
    "Evans",
    "Fischer",
    "Garcia",
    "Hughes",
    "Ivanova",
    "Jensen",
    "Kowalski",
    "Larsen",
    "Moreau",
    "Novak",
    "Okafor",
    "Patel",
    "Quinn",
    "Rossi",
    "Schmidt",
    "Tanaka",
    "Varga",
    "Walsh",
)
COMPANIES = (
    "Acme",
    "Borealis",
    "Cobalt",
    "Dynamo",
    "Everest",
    "Falcon",
    "Granite",
    "Helios",
    "Ionic",
    "Juniper",
    "Keystone",
    "Lumen",
    "Meridian",
    "Nimbus",
    "Orion",
    "Pinnacle",
    "Quartz",
    "Redwood",
    "Summit",
    "Titan",
    "Umbra",
    "Vertex",
    "Willow",
    "Zenith",
)
SECTORS = ("Energy", "Foods", "Holdings", "Motors", "Pharma", "Systems", "Telecom", "Logistics")
CITIES = (
    "Aberdeen",
    "Bristol",
    "Cardiff",
    "Dundee",
    "Exeter",
    "Glasgow",
    "Hull",
    "Leeds",
    "Leicester",
    "Liverpool",
    "Manchester",
    "Norwich",
    "Oxford",
    "Plymouth",
    "Sheffield",
    "Swansea",
    "York",
)
TEAMS = (
    "Ashford Rovers",
    "Bramley Town",
    "Castleton United",
    "Dunmore City",
    "Eastwick Athletic",
    "Fairhaven Albion",
    "Glenford Wanderers",
    "Holloway Rangers",
    "Kingsbridge Park",
    "Longmead Villa",
    "Millbrook Town",
    "Northgate County",
)
PARTIES = ("Labour", "Conservative", "Liberal Democrat", "Green", "Reform", "Independent")
INDICES = (("FTSE 100", 7000, 8000), ("DAX", 15000, 17000), ("CAC 40", 6800, 7800))
CONDITIONS = ("sunny spells", "light rain", "heavy showers", "overcast skies", "patchy fog")
DIRECTIONS = ("north", "north-east", "east", "south-east", "south", "south-west", "west")


def _person(rng: random.Random) -> str:
    return f"{rng.choice(FIRST_NAMES)} {rng.choice(LAST_NAMES)}"


def _earnings(rng: random.Random, day: date) -> tuple[str, list[str]]:
    company = f"{rng.choice(COMPANIES)} {rng.choice(SECTORS)}"
    quarter = rng.choice(("first", "second", "third", "fourth"))
    revenue = round(rng.uniform(0.5, 40.0), 1)
    growth = round(rng.uniform(-15.0, 25.0), 1)
    eps = round(rng.uniform(0.05, 4.0), 2)
    moved = "rose" if growth >= 0 else "fell"
    expected = round(eps * rng.uniform(0.85, 1.15), 2)
    month = rng.choice(("May", "August", "November", "February"))
    price, market = round(rng.uniform(5, 300), 2), rng.choice(("London", "Frankfurt", "Paris"))
    title = f"{company} reports {quarter}-quarter results"
    paragraphs = [
        f"{company} said on {day:%A} that revenue for the {quarter} quarter {moved} "
        f"{abs(growth)}% to {revenue} billion dollars, as demand in its main markets shifted.",
        f"Earnings per share came in at {eps} dollars, against the {expected} "
        f"dollars analysts polled by the company had expected on average.",
        f"Chief executive {_person(rng)} said the company would keep its outlook for the full "
        f"year unchanged and expected to update investors at its next results in {month}.",
        f"Shares of the company closed at {price} dollars in {market} "
        f"before the results were published.",
        "The results are unaudited. The company will hold a conference call for analysts and "
        "investors later in the day, and a recording will be available on its website.",
        "This release contains forward-looking statements that involve risks and uncertainties; "
        "actual results may differ materially from those expressed or implied in them.",
    ]
    return title, paragraphs


def _match(rng: random.Random, day: date) -> tuple[str, list[str]]:
    home, away = rng.sample(TEAMS, 2)
    goals = (rng.randint(1, 5), rng.randint(0, 3))
    minute = rng.randint(3, 88)
    title = f"{home} beat {away} {goals[0]}-{goals[1]}"
    paragraphs = [
        f"{home} beat {away} {goals[0]}-{goals[1]} on {day:%A} in front of a crowd of "
        f"{rng.randint(3000, 40000):,} to move up the table in the league.",
        f"{_person(rng)} opened the scoring in the {minute}th minute and {_person(rng)} added "
        f"another after the break, while {_person(rng)} replied for the visitors.",
        f"The home side had {rng.randint(40, 70)}% of possession and {rng.randint(5, 20)} shots, "
        f"{rng.randint(2, 9)} of them on target.",
        f"Manager {_person(rng)} said after the match that the team had deserved the win and "
        "that the players had followed the plan from the first whistle to the last.",
        "The two sides meet again later in the season. Tickets for the next home game go on sale "
        "to members on the club website from Monday morning.",
    ]
    return title, paragraphs


def _market(rng: random.Random, day: date) -> tuple[str, list[str]]:
    index, low, high = rng.choice(INDICES)
    level = round(rng.uniform(low, high), 2)
    change = round(rng.uniform(-2.5, 2.5), 2)
    points = round(abs(level * change / 100), 2)
    moved = "rose" if change >= 0 else "fell"
    verbs = ("gain", "rises") if change >= 0 else ("slip", "falls")
    title = f"Stocks {verbs[0]} as {index} {verbs[1]}"
    paragraphs = [
        f"European shares {moved} on {day:%A}, and the {index} closed {abs(change)}% "
        f"{'higher' if change >= 0 else 'lower'} at {level}, a move of {points} points.",
        f"Shares of {rng.choice(COMPANIES)} {rng.choice(SECTORS)} led the gains with a rise of "
        f"{round(rng.uniform(2, 9), 1)}%, while {rng.choice(COMPANIES)} {rng.choice(SECTORS)} "
        f"lost {round(rng.uniform(2, 9), 1)}% after a broker cut its rating.",
        f"The euro traded at {round(rng.uniform(1.02, 1.18), 4)} dollars and Brent crude was at "
        f"{round(rng.uniform(60, 95), 2)} dollars a barrel.",
        "Traders said volumes were thin ahead of the central bank's next decision, and that "
        "investors were waiting for the inflation figures due later in the week.",
        "Market data in this report is provided for information only and is not investment "
        "advice; prices may be delayed by up to fifteen minutes.",
    ]
    return title, paragraphs


def _weather(rng: random.Random, day: date) -> tuple[str, list[str]]:
    city = rng.choice(CITIES)
    high = rng.randint(2, 30)
    low = high - rng.randint(3, 10)
    title = f"{city} weather for {day:%A %d %B}"
    paragraphs = [
        f"The forecast for {city} on {day:%A} is {rng.choice(CONDITIONS)}, with a high of "
        f"{high}C and a low of {low}C overnight.",
        f"Winds will blow from the {rng.choice(DIRECTIONS)} at {rng.randint(5, 45)} km/h, "
        f"with gusts of up to {rng.randint(30, 90)} km/h near the coast.",
        f"The chance of rain is {rng.randint(0, 100)}% and the UV index will reach "
        f"{rng.randint(1, 8)}. Sunrise is at {rng.randint(5, 8)}:{rng.randint(10, 59)} and "
        f"sunset at {rng.randint(16, 21)}:{rng.randint(10, 59)}.",
        "The outlook for the rest of the week is changeable, with spells of rain and sunshine "
        "and temperatures close to the average for the time of year.",
        "Forecasts are updated four times a day. Check the latest warnings before you travel.",
    ]
    return title, paragraphs


def _election(rng: random.Random, day: date) -> tuple[str, list[str]]:
    district = f"{rng.choice(CITIES)} {rng.choice(('North', 'South', 'East', 'West', 'Central'))}"
    winner, runner_up = _person(rng), _person(rng)
    party, other = rng.sample(PARTIES, 2)
    votes = rng.randint(12000, 30000)
    second = votes - rng.randint(100, 8000)
    turnout = round(rng.uniform(45, 75), 1)
    last = round(turnout + rng.uniform(-6, 6), 1)
    declared = f"{rng.randint(1, 5)}:{rng.randint(10, 59)}"
    title = (
        f"{district} result: {party} hold" if rng.random() < 0.5 else f"{district} result declared"
    )
    paragraphs = [
        f"{winner} of the {party} party has won the {district} seat with {votes:,} votes, "
        f"ahead of {runner_up} of the {other} party with {second:,}.",
        f"The majority is {votes - second:,} and turnout was {turnout}%, "
        f"{rng.choice(('up', 'down'))} from {last}% at the last election.",
        f"The result was declared at {declared} on {day:%A} at the count in {rng.choice(CITIES)}.",
        "Full results for every seat, with the votes cast for each candidate, will be published "
        "by the returning officer once all counts have been completed.",
    ]
    return title, paragraphs


_TEMPLATES = {
    "earnings": _earnings,
    "match": _match,
    "market": _market,
    "weather": _weather,
    "election": _election,
}


def make_templated_reports(state: _State, config: SynthConfig, n_originals: int) -> list[_Doc]:
    """Templated reports of five kinds, each a different report (the hard negatives).

    A report is an ``original`` of its own cluster (``t<n>``) with ``negative_of``
    ``tpl:<kind>``: no two reports may be merged. It is republished by 0-2 other sites under
    their chrome, and one republication in five corrects one figure (still a copy).
    """
    if not config.templated_rate:
        return []
    rng = state.rng
    counts, weights = zip(*TEMPLATED_COPIES, strict=True)
    docs: list[_Doc] = []
    for number in range(round(config.templated_rate * n_originals)):
        kind = TEMPLATE_KINDS[number % len(TEMPLATE_KINDS)]
        day = date(2004, 1, 1) + timedelta(days=rng.randrange(730))
        title, paragraphs = _TEMPLATES[kind](rng, day)
        # Generated reports vary which of the template's paragraphs they carry, so that two
        # reports of one kind share from a third to nearly all of their wording.
        paragraphs = paragraphs[:1] + [p for p in paragraphs[1:] if rng.random() < 0.75]
        cluster, negative = f"t{number}", f"tpl:{kind}"
        site = rng.choice(SITES)
        text = _render(site, title, paragraphs, day, rng)
        docs.append(
            _Doc(
                text,
                _url(site, title, day, rng),
                site.name,
                day,
                title,
                cluster,
                "original",
                "",
                negative,
            )
        )
        for _ in range(rng.choices(counts, weights)[0]):
            edits, body = "templated_copy", paragraphs
            if rng.random() < 0.2:
                body = _correct_one_figure(paragraphs, rng) or paragraphs
                edits = "templated_copy,correction"
            copy_site = rng.choice([s for s in SITES if s != site])
            docs.append(
                _copy_doc(
                    copy_site,
                    title,
                    body,
                    day + timedelta(days=rng.randint(0, 1)),
                    cluster,
                    edits,
                    rng,
                    negative_of=negative,
                )
            )
    return docs


# The harder mix measured beside the pinned corpus (benchmarks/quality.py): per original, a
# brief in 15%, a headline-and-sentence in 3%, a deep cut in 15%, a correction in 10%, a noisy
# copy in 15%; and 0.15 templated reports per original (300 at 2000 originals).
HARD_MIX = {
    "p_lead_brief": 0.15,
    "p_short_brief": 0.03,
    "p_deep_cut": 0.15,
    "p_correction": 0.10,
    "p_noisy": 0.15,
    "templated_rate": 0.15,
}


def generate_corpus(
    articles: Sequence[Article],
    config: SynthConfig | None = None,
    *,
    n_docs: int | None = None,
) -> pl.DataFrame:
    """Generate a labelled corpus of originals, near-duplicate copies and hard negatives.

    Args:
        articles: base articles; the first ``config.n_originals`` of a seeded shuffle become the
            originals and the rest feed the hard negatives and update paragraphs.
        config: doses and seed; the same config and articles give the same frame.
        n_docs: when given, ``n_originals`` is derived from it and the shuffled frame is cut to
            exactly this many rows (for speed benchmarks).

    Returns:
        Columns ``doc_id``, ``text``, ``url``, ``source``, ``published`` (date), ``title`` and the
        labels ``true_cluster``, ``kind``, ``edits``, ``negative_of``, in a seeded random order.

    Example:
        >>> frame = generate_corpus(load_base_articles(), SynthConfig(n_originals=100, seed=1))
    """
    config = config or SynthConfig()
    if not articles:
        raise ValueError("generate_corpus needs at least one base article")
    if n_docs is not None:
        # 10% headroom over the mean, then the shuffled frame is cut to exactly n_docs.
        n_originals = math.ceil(1.1 * n_docs / config.expected_docs_per_original()) + 5
    else:
        n_originals = config.n_originals
    rng = random.Random(config.seed)
    order = list(range(len(articles)))
    rng.shuffle(order)
    originals = [order[i % len(order)] for i in range(n_originals)]
    rest = order[n_originals:]
    state = _State(rng, articles, deque(rest), used=set(originals[: len(order)]))
    for index in rest:
        topic = articles[index].topic
        if topic:
            state.fresh_by_topic.setdefault(topic, deque()).append(index)
    counts, weights = zip(*config.copies_weights, strict=True)
    docs: list[_Doc] = []
    briefs_due = 0.0
    for number, index in enumerate(originals):
        article = articles[index]
        cluster = f"a{index}"
        kind = article.key.split("/", 1)[0]
        site = ORIGIN_SITES.get(kind, SITES[0])
        day = article.published or date(2004, 1, 1) + timedelta(days=rng.randrange(730))
        text = _render(site, article.title, article.paragraphs, day, rng)
        origin = _Doc(
            text,
            _url(site, article.title, day, rng),
            site.name,
            day,
            article.title,
            cluster,
            "original",
        )
        family = [origin]
        for _ in range(rng.choices(counts, weights)[0]):
            family.append(_make_copy(article, cluster, origin, family, state, config))
        docs += family
        if rng.random() < config.p_follow_up:
            follow_up = _make_follow_up(article, cluster, day, state)
            docs += [follow_up] if follow_up else []
        if rng.random() < config.p_write_up:
            write_up = _make_write_up(article, cluster, day, state)
            docs += [write_up] if write_up else []
        docs += make_harder_copies(article, cluster, origin, state, config)
        briefs_due += config.brief_rate
        if briefs_due >= 4:
            docs += _make_briefs(number, state, day)
            briefs_due -= 4
    docs += make_templated_reports(state, config, n_originals)
    rng.shuffle(docs)
    if n_docs is not None:
        docs = docs[:n_docs]
    return _docs_frame(docs, "syn")


# ---------------------------------------------------------------------------------------------
# Duplicate-heavy mode: wire stories republished many times


# Base articles of the duplicate-heavy mode: 5 copies each at 20,000 documents, 25 at 100,000.
DUPLICATE_HEAVY_BASES = 4000
DUPLICATE_HEAVY_EDITED = 1 / 3
CORPUS_MODES = ("default", "duplicate-heavy")


def generate_duplicate_heavy(
    articles: Sequence[Article],
    *,
    n_docs: int,
    seed: int = 0,
    n_bases: int = DUPLICATE_HEAVY_BASES,
    p_edited: float = DUPLICATE_HEAVY_EDITED,
) -> pl.DataFrame:
    """Generate a corpus shaped like a news scrape where each wire story is republished often.

    ``n_bases`` base articles (a seeded sample) are each used ``n_docs / n_bases`` times: copy
    ``j`` of a story appears under site ``j``'s chrome (the sites taken in turn from a
    per-story offset, so consecutive copies never share a site), with its own byline, date and
    url; a ``p_edited`` share of the copies is lightly edited (1-3% of words, and a new headline
    half of the time). With the defaults a story has 5 copies at 20,000 documents and 25 at
    100,000: the cost of near-duplicate detection then shows how it grows with cluster size.

    Returns:
        The columns of :func:`generate_corpus`, labels included (``kind`` is ``original`` for a
        story's first copy, else ``copy``), in a seeded random order.

    Example:
        >>> frame = generate_duplicate_heavy(load_base_articles(), n_docs=20_000)
    """
    if not articles:
        raise ValueError("generate_duplicate_heavy needs at least one base article")
    rng = random.Random(seed)
    pool = [i for i in range(len(articles)) if articles[i].paragraphs]
    bases = rng.sample(pool, min(n_bases, len(pool)))
    offsets = [rng.randrange(len(SITES)) for _ in bases]
    docs: list[_Doc] = []
    for number in range(n_docs):
        slot, copy = number % len(bases), number // len(bases)
        article = articles[bases[slot]]
        site = SITES[(offsets[slot] + copy) % len(SITES)]
        day = (article.published or date(2004, 1, 1)) + timedelta(days=rng.randint(0, 3))
        title, paragraphs, edits = article.title, list(article.paragraphs), ["chrome"]
        if rng.random() < p_edited:
            paragraphs = _word_edits(paragraphs, rng, 0.01, 0.03)
            edits.append("words")
            if rng.random() < 0.5:
                title = _new_headline(title, paragraphs, rng)
                edits.append("headline")
        text = _render(site, title, paragraphs, day, rng)
        kind = "original" if copy == 0 else "copy"
        cluster = f"a{bases[slot]}"
        url = _url(site, title, day, rng)
        docs.append(_Doc(text, url, site.name, day, title, cluster, kind, ",".join(edits)))
    rng.shuffle(docs)
    return _docs_frame(docs, "dup")


def generate_mode(
    mode: str, articles: Sequence[Article], *, n_docs: int, seed: int = 0
) -> pl.DataFrame:
    """Generate ``n_docs`` documents of a corpus mode (see ``CORPUS_MODES``), labels included."""
    if mode == "duplicate-heavy":
        return generate_duplicate_heavy(articles, n_docs=n_docs, seed=seed)
    if mode == "default":
        return generate_corpus(articles, SynthConfig(seed=seed), n_docs=n_docs)
    raise ValueError(f"unknown corpus mode {mode!r}; choose from {', '.join(CORPUS_MODES)}")


# Variable chrome: counters and stamps that change from page to page


# Lines real sites print around every article, each different on every page, in the shapes of the
# built-in families (engagement, timestamp, reading time, gallery). str.format fields are drawn
# per page by `add_variable_chrome`.
VARIABLE_CHROME = (
    "View {n} comments",
    "Comments ({n})",
    "{k}K shares",
    "Shares: {n}",
    "{hours} hours ago",
    "Updated {hour}:{minute:02d} PM ET, {weekday} {mon} {day}, {year}",
    "Last modified on {weekday} {day} {mon} {year} {hour:02d}.{minute:02d} BST",
    "{minutes} min read",
    "Image {image} of {n}",
)
# Each site's own counter, which no built-in rule knows: only learned templates can find it.
SITE_COUNTERS = (
    "{n} readers are discussing this",
    "Edition no. {n}, {weekday}",
    "Reader poll: {n} votes so far",
    "{n} people follow this story",
)
_WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def _variable_lines(rng: random.Random, source: str) -> tuple[list[str], list[str]]:
    """One page's variable chrome: lines for the top and the bottom of its page."""
    fields = {
        "n": rng.randrange(2, 4000),
        "k": f"{rng.randrange(1, 99)}.{rng.randrange(10)}",
        "hours": rng.randrange(1, 23),
        "hour": rng.randrange(1, 12),
        "minute": rng.randrange(60),
        "weekday": rng.choice(_WEEKDAYS),
        "mon": rng.choice(_MONTHS),
        "day": rng.randrange(1, 28),
        "year": rng.randrange(2004, 2025),
        "minutes": rng.randrange(2, 15),
        "image": rng.randrange(1, 12),
    }
    counter = SITE_COUNTERS[int(hashlib.sha256(source.encode()).hexdigest(), 16) % 4]
    top, bottom = rng.sample(VARIABLE_CHROME, 2), rng.sample(VARIABLE_CHROME, 2)
    return [line.format(**fields) for line in top], [
        *(line.format(**fields) for line in bottom),
        counter.format(**fields),
    ]


def add_variable_chrome(frame: pl.DataFrame, *, seed: int = 0) -> pl.DataFrame:
    """Add counters and timestamps that change from page to page to every copy's site chrome.

    Two lines go at the end of a page's header block and three at the start of its footer (two
    of `VARIABLE_CHROME`, one of its site's `SITE_COUNTERS`); originals (``kind``) keep their
    text. The lines added are listed in a new column ``variable_chrome``. A separate step, so
    the default corpus (and its pinned hash) stays as it was.
    """
    rng = random.Random(seed)
    kinds = frame["kind"] if "kind" in frame.columns else [None] * frame.height
    texts, added = [], []
    for text, source, kind in zip(frame["text"], frame["source"], kinds, strict=True):
        if kind == "original":
            texts.append(text)
            added.append([])
            continue
        top, bottom = _variable_lines(rng, source or "")
        parts = text.split("\n\n")
        if len(parts) >= 3:
            parts[0] = "\n".join([parts[0], *top])
            parts[-1] = "\n".join([*bottom, parts[-1]])
        else:
            parts = ["\n".join(top), *parts, "\n".join(bottom)]
        texts.append("\n\n".join(parts))
        added.append(top + bottom)
    return frame.with_columns(
        pl.Series("text", texts, pl.String),
        pl.Series("variable_chrome", added, pl.List(pl.String)),
    )


def frame_sha256(frame: pl.DataFrame) -> str:
    """Return a sha256 of a frame's column names and values, independent of the Polars version.

    Values are hashed as strings (dates in ISO form, nulls as a NUL byte), fields separated by
    0x1f and rows by 0x1e, so a Parquet or Arrow layout change cannot move the pinned hash.
    """
    digest = hashlib.sha256()
    digest.update("\x1f".join(frame.columns).encode() + b"\x1e")
    as_text = frame.select(pl.all().cast(pl.String).fill_null("\x00"))
    for row in as_text.iter_rows():
        digest.update(("\x1f".join(row) + "\x1e").encode())
    return digest.hexdigest()


def main(argv: Sequence[str] | None = None) -> int:
    """Write a generated corpus to a Parquet or JSON Lines file (for speed runs and inspection)."""
    parser = argparse.ArgumentParser(description=main.__doc__)
    parser.add_argument("output", type=Path, help="a .parquet or .jsonl file to write")
    parser.add_argument("--data-dir", type=Path, default=DEFAULT_DATA_DIR)
    parser.add_argument("--n-originals", type=int, default=DEFAULT_N_ORIGINALS)
    parser.add_argument("--n-docs", type=int, default=None, help="exact number of documents")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--labels", action="store_true", help="keep the label columns")
    parser.add_argument("--mode", choices=CORPUS_MODES, default="default")
    args = parser.parse_args(argv)
    if args.mode != "default":
        if args.n_docs is None:
            parser.error(f"--mode {args.mode} needs --n-docs")
        frame = generate_mode(
            args.mode, load_base_articles(args.data_dir), n_docs=args.n_docs, seed=args.seed
        )
    else:
        config = SynthConfig(n_originals=args.n_originals, seed=args.seed)
        frame = generate_corpus(load_base_articles(args.data_dir), config, n_docs=args.n_docs)
    if not args.labels:
        frame = frame.select(CORPUS_COLUMNS)
    if args.output.suffix == ".jsonl":
        frame.write_ndjson(args.output)
    else:
        frame.write_parquet(args.output)
    print(f"wrote {frame.height} documents to {args.output} (sha256 {frame_sha256(frame)})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
