/*
 * eldoc.c - an element class's documentation, from its doc block
 * (signature, summary, description, arguments, handlers), as Markdown.
 * Feeds docs/elements.md and the shell's `help Class`.
 */
#include <stdio.h>
#include <stdlib.h>

#include "el.h"

static const char *type_word(enum el_argtype t)
{
	static const char *w[] = {"integer", "unsigned", "bool", "number", "IPv4 address", "IPv4 prefix",
				  "IPv6 address", "IPv6 prefix", "Ethernet address", "bytes", "time",
				  "string", "word", "data", "rate"};
	return t < RT_ARRAY_SIZE(w) ? w[t] : "value";
}

void el_class_doc(const struct el_class *c, struct rt_buf *out)
{
	rt_buf_printf(out, "## %s\n\n", c->name);
	rt_buf_printf(out, "`%s` — %s\n\n", c->sig ? c->sig : c->name, c->summary ? c->summary : "");
	rt_buf_printf(out, "Ports: %s (inputs/outputs), push.\n\n", c->ports ? c->ports : "1/1");
	if (c->doc)
		rt_buf_printf(out, "%s\n\n", c->doc);
	if (c->args && c->args[0].kw) {
		rt_buf_puts(out, "| argument | type | default | |\n|---|---|---|---|\n");
		for (const struct el_arg *a = c->args; a->kw; a++)
			rt_buf_printf(out, "| %s%s | %s | %s | %s |\n", a->kw,
				      a->flags & EL_ARG_REQ ? " (required)" : "", type_word(a->type),
				      a->def ? a->def : "", a->doc ? a->doc : "");
		rt_buf_puts(out, "\n");
	}
	if (c->handlers && c->handlers[0].name) {
		rt_buf_puts(out, "| handler | mode | |\n|---|---|---|\n");
		for (const struct el_handler *h = c->handlers; h->name; h++)
			rt_buf_printf(out, "| %s | %s%s | %s |\n", h->name, h->read ? "r" : "", h->write ? "w" : "",
				      h->doc ? h->doc : "");
		rt_buf_puts(out, "\n");
	}
}

void el_doc_all(struct rt_buf *out)
{
	int n;
	const struct el_class **v = el_class_list(&n);
	rt_buf_puts(out, "# Element reference\n\n"
			 "Generated from the elements' doc blocks (`mboxsh --doc-elements`). Every element also "
			 "has Click's standard handlers: `name`, `class`, `config`, `ports`, `handlers`.\n\n");
	for (int i = 0; i < n; i++)
		if (v[i]->summary && strncmp(v[i]->name, "Test", 4))
			rt_buf_printf(out, "- [%s](#%s) — %s\n", v[i]->name, v[i]->name, v[i]->summary);
	rt_buf_puts(out, "\n");
	for (int i = 0; i < n; i++)
		if (strncmp(v[i]->name, "Test", 4))
			el_class_doc(v[i], out);
	free(v);
}
