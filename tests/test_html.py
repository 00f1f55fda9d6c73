import pytest

from dedupe.io.html import html_texts


@pytest.mark.parametrize(
    ("page", "text"),
    [
        ("<p>One <b>two</b></p><p>three</p>", "One two\nthree"),
        ("<div>a<br>b</div><ul><li>x</li><li>y</li></ul>", "a\nb\nx\ny"),
        ("<head><title>T</title></head><script>s()</script><style>p{}</style><p>kept</p>", "kept"),
        ("<p>  spaced \n\n  out  </p><!-- comment --><p>\u00a0</p>", "spaced out"),
        ("<pre>line 1\n  line 2</pre>", "line 1\n  line 2"),
        ("<table><tr><td>1</td><td>2</td></tr></table>", "1\n2"),
        ("no tags at all", "no tags at all"),
        ("", ""),
    ],
    ids=["paragraphs", "breaks-and-lists", "hidden", "whitespace", "pre", "table", "plain",
         "empty"],
)  # fmt: skip
def test_html_texts_one_line_per_block_element(page: str, text: str) -> None:
    assert html_texts([page]) == [text]


def test_html_texts_keeps_nulls_and_reads_utf8_bytes() -> None:
    assert html_texts([None, "<p>caf\u00e9</p>".encode()]) == [None, "caf\u00e9"]
