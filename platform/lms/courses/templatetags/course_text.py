"""Authors' short texts (quiz prompts, options, explanations) with Markdown's inline
code: `np.dot(W, A)` in backticks shows as code. Only code spans: quiz arithmetic such
as ``3*3 x 6*6`` must not turn into emphasis. Raw HTML is never passed through: it is
escaped (markdown-it's "zero" preset has no HTML rule), inside code spans too."""

from django import template
from django.utils.safestring import SafeString, mark_safe
from markdown_it import MarkdownIt

register = template.Library()

_inline = MarkdownIt("zero").enable(["backticks"]).renderInline


@register.filter
def inline_code(text: str | None) -> SafeString:
    return mark_safe(_inline(str(text or "")))  # noqa: S308 - markdown-it escapes every character it passes
