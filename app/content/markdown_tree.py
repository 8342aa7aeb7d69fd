"""The tree step of the Markdown pipeline: headings, call-outs, media, link targets, footnotes.

Runs after Python-Markdown's inline parsing, on the element tree, before it is serialised.
Pure: no Flask, no database.
"""

from __future__ import annotations

import posixpath
import re
import xml.etree.ElementTree as etree
from typing import TYPE_CHECKING

from markdown.treeprocessors import Treeprocessor

from app.content.html_sanitiser import CALLOUT_KINDS, VIDEO_TYPES
from app.content.link_targets import UrlKind, classify_url

if TYPE_CHECKING:
    import markdown

    from app.content.markdown_pipeline import ContentExtension

CALLOUT_RE = re.compile(r"^\s*\[!([A-Za-z]+)\](?:[ \t]*\n|[ \t]+|[ \t]*$)")


class ContentTreeprocessor(Treeprocessor):
    """Headings, call-outs, images/videos, link targets and footnote ids, after inline parsing."""

    def __init__(self, md: markdown.Markdown, extension: ContentExtension) -> None:
        super().__init__(md)
        self.extension = extension

    def run(self, root: etree.Element) -> None:
        """Rewrite the tree of one page in place."""
        for element in root.iter():
            # Page titles are level 2 and come from "## " page breaks; inside a page start at 3.
            if element.tag in ("h1", "h2"):
                element.tag = "h3"
            if element.tag in ("pre", "code"):
                element.attrib.pop("class", None)
                element.attrib.pop("id", None)
        self._callouts(root)
        self._record_references(root)
        self._images(root)
        self._links(root)
        self._footnotes(root)

    def _callouts(self, root: etree.Element) -> None:
        self._split_quotes(root)
        for quote in list(root.iter("blockquote")):
            first = quote[0] if len(quote) else None
            if first is None or first.tag != "p":
                continue
            match = CALLOUT_RE.match(first.text or "")
            if not match or match.group(1).lower() not in CALLOUT_KINDS:
                continue
            kind = match.group(1).lower()
            first.text = first.text[match.end() :] if first.text else ""
            if not first.text.strip() and not len(first):
                quote.remove(first)
            quote.tag = "aside"
            quote.attrib.clear()
            quote.set("class", f"callout callout-{kind}")
            quote.set("role", "note")
            title = etree.Element("p", {"class": "callout-title"})
            title.text = self.extension.labels[kind]
            title.tail = "\n"
            quote.insert(0, title)

    @staticmethod
    def _split_quotes(root: etree.Element) -> None:
        """Python-Markdown merges quotes separated by an empty line; a marker starts a new one."""
        for parent in list(root.iter()):
            for quote in [child for child in parent if child.tag == "blockquote"]:
                starts = [
                    i
                    for i, child in enumerate(quote)
                    if i > 0 and child.tag == "p" and CALLOUT_RE.match(child.text or "")
                ]
                position = list(parent).index(quote)
                for start in reversed(starts):
                    rest = etree.Element("blockquote")
                    rest.text, rest.tail = "\n", quote.tail
                    for child in list(quote)[start:]:
                        quote.remove(child)
                        rest.append(child)
                    quote.tail = "\n"
                    parent.insert(position + 1, rest)

    def _record_references(self, root: etree.Element) -> None:
        """Note every link and image, in document order, before any is rewritten."""
        for element in root.iter():
            if element.tag == "img":
                raw = element.get("src", "")
                self.extension.record("image", classify_url(raw), element.get("alt", ""), raw)
            elif element.tag == "a" and element.get("class") not in (
                "footnote-ref",
                "footnote-backref",
            ):
                raw = element.get("href", "")
                text = "".join(element.itertext())
                self.extension.record("link", classify_url(raw), text, raw)

    def _images(self, root: etree.Element) -> None:
        media_url = self.extension.media_url
        pairs = [(img, parent) for parent in root.iter() for img in parent if img.tag == "img"]
        for img, parent in pairs:
            alt = img.get("alt", "")
            target = classify_url(img.get("src", ""))
            url = None
            if target.kind is UrlKind.MEDIA and target.path and media_url is not None:
                url = media_url(target.path)
            if url is None:
                _replace_with_text(parent, img, alt)
                continue
            video_type = VIDEO_TYPES.get(posixpath.splitext(target.path or "")[1].lower())
            if video_type:
                _insert_video(root, parent, img, url, video_type, alt)
            else:
                title = img.get("title")
                img.attrib.clear()
                img.set("src", url)
                img.set("alt", alt)
                if title:
                    img.set("title", title)

    def _links(self, root: etree.Element) -> None:
        media_url = self.extension.media_url
        pairs = [(a, parent) for parent in root.iter() for a in parent if a.tag == "a"]
        for link, parent in pairs:
            target = classify_url(link.get("href", ""))
            if target.kind in (UrlKind.FRAGMENT, UrlKind.SITE, UrlKind.EXTERNAL):
                link.set("href", target.url)
                continue
            url = None
            if target.kind is UrlKind.MEDIA and target.path and media_url is not None:
                url = media_url(target.path)
            if url is None:
                _unwrap(parent, link)
            else:
                link.set("href", url + target.fragment)

    def _footnotes(self, root: etree.Element) -> None:
        """Give footnotes safe, predictable ids: `<prefix>fn-1`, `<prefix>fnref-1[-2]`."""
        prefix = self.extension.footnote_prefix
        new_ids: dict[str, str] = {}
        for block in root.iter("div"):
            if block.get("class") == "footnote":
                for item in block.iter("li"):
                    if item.get("id"):
                        new_ids[item.get("id", "")] = f"{prefix}fn-{len(new_ids) + 1}"
        numbers = {old: new.rsplit("-", 1)[1] for old, new in new_ids.items()}
        seen: dict[str, int] = {}
        for sup in root.iter("sup"):
            link = sup.find("a")
            target = (link.get("href") or "")[1:] if link is not None else ""
            if sup.get("id") and target in numbers:
                number = numbers[target]
                seen[number] = seen.get(number, 0) + 1
                suffix = "" if seen[number] == 1 else f"-{seen[number]}"
                new_ids[sup.get("id", "")] = f"{prefix}fnref-{number}{suffix}"
        back_title = self.extension.labels["footnote_back"]
        for element in root.iter():
            old_id = element.get("id")
            if old_id is not None:
                if old_id in new_ids:
                    element.set("id", new_ids[old_id])
                else:
                    del element.attrib["id"]
            href = element.get("href")
            if element.tag == "a" and href and href.startswith("#") and href[1:] in new_ids:
                element.set("href", "#" + new_ids[href[1:]])
            if element.get("class") == "footnote-backref":
                element.set("title", back_title)


# --- Tree editing helpers --------------------------------------------------------------------


def _add_text_before(parent: etree.Element, index: int, text: str) -> None:
    if not text:
        return
    if index == 0:
        parent.text = (parent.text or "") + text
    else:
        previous = parent[index - 1]
        previous.tail = (previous.tail or "") + text


def _replace_with_text(parent: etree.Element, element: etree.Element, text: str) -> None:
    index = list(parent).index(element)
    _add_text_before(parent, index, (text or "") + (element.tail or ""))
    parent.remove(element)


def _unwrap(parent: etree.Element, element: etree.Element) -> None:
    """Replace an element by its content (a link whose target is removed keeps its text)."""
    index = list(parent).index(element)
    children = list(element)
    tail = element.tail or ""
    _add_text_before(parent, index, element.text or "")
    parent.remove(element)
    for offset, child in enumerate(children):
        parent.insert(index + offset, child)
    if children:
        children[-1].tail = (children[-1].tail or "") + tail
    else:
        _add_text_before(parent, index, tail)


def _insert_video(
    root: etree.Element,
    parent: etree.Element,
    img: etree.Element,
    url: str,
    video_type: str,
    alt: str,
) -> None:
    video = etree.Element("video", {"controls": "controls", "preload": "metadata"})
    source = etree.SubElement(video, "source", {"src": url, "type": video_type})
    source.tail = alt
    alone = (
        parent.tag == "p"
        and len(parent) == 1
        and not (parent.text or "").strip()
        and not (img.tail or "").strip()
    )
    if not alone:
        video.tail = img.tail
        parent.insert(list(parent).index(img), video)
        parent.remove(img)
        return
    # A video on a line of its own becomes a figure whose caption is the description.
    figure = etree.Element("figure", {"class": "media-video"})
    figure.append(video)
    etree.SubElement(figure, "figcaption").text = alt
    figure.tail = parent.tail
    grandparent = next(p for p in root.iter() if parent in list(p))
    position = list(grandparent).index(parent)
    grandparent.remove(parent)
    grandparent.insert(position, figure)
