from django import template

register = template.Library()


@register.filter
def pct(value, digits: int = 0) -> str:
    """0.1234 -> "12%"; None -> "—"."""
    if value is None:
        return "—"
    return f"{value * 100:.{int(digits)}f}%"


@register.filter
def num(value, digits: int = 2) -> str:
    if value is None:
        return "—"
    return f"{value:.{int(digits)}f}"


@register.filter
def thousands(value) -> str:
    """12345 -> "12,345"."""
    try:
        return f"{int(value):,}"
    except (TypeError, ValueError):
        return "—"
