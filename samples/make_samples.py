"""Regenerate samples/syndicated.jsonl and samples/bad/: synthetic articles written for dedupe.

The four base articles are invented text (no real outlet's copy). The copies apply the edits
a syndicated corpus shows: site chrome, a trimmed ending, a changed headline, copy edits, an
exact re-scrape. Run: python samples/make_samples.py
"""

import json
from pathlib import Path

HERE = Path(__file__).parent

ARTICLES = {
    "harbor": (
        "Harbor city approves new flood barrier after record storm season",
        [
            "The council of the harbor city voted on Tuesday to fund a movable flood barrier at "
            "the mouth of the old port, after a storm season that flooded the market district "
            "four times in as many months.",
            "Engineers told the council that the barrier, a pair of steel gates resting on the "
            "seabed, would rise when forecasts show a surge of more than one and a half metres "
            "above the spring tide.",
            "The project is expected to cost about 240 million and to take six years to build. "
            "Half of the money will come from a regional resilience fund, the rest from a bond "
            "that voters approved last spring.",
            "Shop owners in the market district welcomed the decision but said they needed help "
            "sooner. Several bakeries and a hardware store have closed since the autumn floods, "
            "and insurers have raised premiums across the waterfront.",
            "The mayor said temporary pumps and sandbag stations would stay in place until the "
            "barrier opens, and that the city would publish a flood map for every street by the "
            "end of the year.",
            "Opponents on the council argued that the money would be better spent moving homes "
            "away from the lowest streets, and warned that the gates would need costly upkeep "
            "for decades.",
        ],
    ),
    "orchard": (
        "Late frost cuts apple harvest in the northern valleys",
        [
            "Growers in the northern valleys expect their smallest apple harvest in a decade "
            "after a late frost in April killed blossom across thousands of hectares of orchards.",
            "The growers' cooperative said on Monday that early counts pointed to a crop about a "
            "third below the five-year average, with the worst losses on the higher slopes where "
            "cold air settled overnight.",
            "Some farms had run wind machines and sprinklers through the coldest nights, which "
            "saved part of the blossom, but many smaller orchards have neither.",
            "Packing houses said they would hire fewer seasonal workers this autumn, and juice "
            "makers warned that prices for concentrate could rise if the shortfall persists.",
            "Agronomists at the regional institute said late frosts had become more damaging as "
            "warmer winters bring trees into flower earlier in the spring.",
        ],
    ),
    "library": (
        "City library reopens after three-year renovation",
        [
            "The central library reopened its doors on Saturday after a renovation that took "
            "three years and doubled the space given to reading rooms and study areas.",
            "Hundreds of residents queued before the opening, and the first visitors were "
            "greeted by a choir from a nearby school singing on the new front steps.",
            "The building now has a children's floor with a small theatre, a workshop with "
            "sewing machines and 3D printers, and a rooftop terrace that is open until late "
            "evening in summer.",
            "The head librarian said the renovation kept the original reading hall, whose "
            "painted ceiling was cleaned panel by panel by a team of restorers over eight months.",
            "Loans of printed books rose during the closure through the temporary branches, the "
            "library said, and it plans to keep two of those branches open.",
        ],
    ),
    "rail": (
        "Regional rail line to run night trains on weekends",
        [
            "The regional rail operator will run trains through the night on Fridays and "
            "Saturdays from next month, starting with the line between the capital and the coast.",
            "Trains will leave every hour between midnight and five in the morning, stopping at "
            "all stations, the operator said in a statement on Thursday.",
            "Hospitality workers and students had campaigned for night services for years, "
            "arguing that the last train, which leaves shortly after midnight, left many people "
            "with a long and costly taxi ride home.",
            "The operator said it would review the trial after six months, and could extend it "
            "to two more lines if passenger numbers reached the levels seen on the first weekend "
            "trials last summer.",
        ],
    ),
}

CHROME_TOP = ["Loading...", "Share this article", "\u00a0"]
CHROME_BOTTOM = [
    "Related Articles",
    "Show More",
    "Back to top button",
    "\u00a9 2024 Coastal Media Group. All rights reserved.",
]


def article(key, *, title=None, paragraphs=None):
    """Return an article's text: headline, blank line, paragraphs."""
    head, body = ARTICLES[key]
    return "\n\n".join([title or head, *(paragraphs if paragraphs is not None else body)])


def records():
    """Return the sample records: a wire story, its copies, and other stories."""
    harbor = ARTICLES["harbor"][1]
    orchard = ARTICLES["orchard"][1]
    edited = [
        p.replace("Tuesday", "Tuesday evening").replace("about 240", "roughly 240") for p in harbor
    ]
    return [
        {
            "id": "wire-harbor",
            "url": "https://wire.example/harbor-barrier",
            "source": "wire.example",
            "published": "2024-03-05T09:00:00",
            "text": article("harbor"),
        },
        {
            "id": "coast-harbor",
            "url": "https://www.coastnews.example/2024/03/harbor",
            "source": "coastnews.example",
            "published": "2024-03-05T11:30:00",
            "text": "\n".join(CHROME_TOP)
            + "\n"
            + article("harbor")
            + "\n\n"
            + "\n".join(CHROME_BOTTOM),
        },
        {
            "id": "daily-harbor-trimmed",
            "url": "https://daily.example/news/harbor",
            "source": "daily.example",
            "published": "2024-03-05T12:00:00",
            "text": article("harbor", paragraphs=harbor[:5]),
        },
        {
            "id": "post-harbor-edited",
            "url": "https://post.example/harbor",
            "source": "post.example",
            "published": "2024-03-06T08:00:00",
            "text": article(
                "harbor", title="Flood gates for the old port get the go-ahead", paragraphs=edited
            ),
        },
        {
            "id": "wire-harbor-rescrape",
            "url": "https://wire.example/harbor-barrier?ref=rss",
            "source": "wire.example",
            "published": "2024-03-05T09:00:00",
            "text": article("harbor").replace("\n\n", "\n\u00a0\n"),
        },
        {
            "id": "wire-orchard",
            "url": "https://wire.example/orchard-frost",
            "source": "wire.example",
            "published": "2024-04-20T07:00:00",
            "text": article("orchard"),
        },
        {
            "id": "valley-orchard",
            "url": "https://valleytimes.example/frost",
            "source": "valleytimes.example",
            "published": "2024-04-20T10:00:00",
            "text": article(
                "orchard",
                paragraphs=[
                    *orchard,
                    "This story was updated on Monday "
                    "afternoon with comments from the packing houses.",
                ],
            ),
        },
        {
            "id": "library",
            "url": "https://citydesk.example/library",
            "source": "citydesk.example",
            "published": "2024-05-11T18:00:00",
            "text": article("library"),
        },
        {
            "id": "rail",
            "url": "https://citydesk.example/rail",
            "source": "citydesk.example",
            "published": "2024-06-02T08:00:00",
            "text": article("rail"),
        },
        {
            "id": "harbor-followup",
            "url": "https://coastnews.example/2024/04/harbor-bonds",
            "source": "coastnews.example",
            "published": "2024-04-02T09:00:00",
            "text": "\n\n".join(
                [
                    "Harbor barrier bonds sell out in a day",
                    "Investors bought the whole issue of harbor resilience bonds "
                    "within hours on Monday, the city treasurer said, and demand "
                    "was more than twice the amount on offer.",
                    harbor[2],
                    "The treasurer said the strong demand let the city lower the "
                    "interest rate it pays, saving several million over the life "
                    "of the bonds.",
                ]
            ),
        },
    ]


def main():
    """Write syndicated.jsonl beside this script."""
    with open(HERE / "syndicated.jsonl", "w", encoding="utf-8") as handle:
        for record in records():
            handle.write(json.dumps(record, ensure_ascii=False) + "\n")


if __name__ == "__main__":
    main()
