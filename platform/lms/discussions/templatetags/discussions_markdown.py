"""``{{ text|markdown }}``: a learner's post as HTML. Posts are hostile input: raw HTML is
escaped, unsafe link schemes (javascript:, data:...) are not linked, images are not
rendered (no tracking pixels), and links are marked as user content."""

from django import template
from django.utils.safestring import SafeString, mark_safe
from markdown_it import MarkdownIt

register = template.Library()

_markdown = MarkdownIt("commonmark", {"html": False}).disable("image")


def _link_open(self, tokens, idx, options, env):
    tokens[idx].attrSet("rel", "nofollow ugc noopener")
    return self.renderToken(tokens, idx, options, env)


_markdown.add_render_rule("link_open", _link_open)


@register.filter
def markdown(text: str) -> SafeString:
    return mark_safe(_markdown.render(text or ""))  # safe: markdown-it escaped any raw HTML
