from django import template
from django.contrib.admin.templatetags.admin_list import ResultList, result_headers, result_list

register = template.Library()


@register.inclusion_tag("admin/change_list_results.html", takes_context=True)
def coverage_result_list(context, cl):
    """The admin's result_list, with the rows from CoverageChangeList.rows (kept ones
    where nothing they show changed) instead of drawing every cell each time."""
    if cl.formset:  # editable rows carry their forms: nothing to keep
        return result_list(cl)
    headers = list(result_headers(cl))
    return {
        "cl": cl,
        "result_hidden_fields": [],
        "result_headers": headers,
        "num_sorted_fields": sum(1 for h in headers if h["sortable"] and h["sorted"]),
        "results": [ResultList(None, [row]) for row in cl.rows(context["request"])],
    }
