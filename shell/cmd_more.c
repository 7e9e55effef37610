/*
 * cmd_more.c - multi-line input: is a statement typed so far finished, or
 * does it go on with the next line?  Lua chunks ask Lua (cmd_lua.c); Click
 * text is cut short while a bracket, quote or comment is open or a
 * connection or declaration lacks its right-hand side.  Bounded: one pass
 * over the text (and one Lua parse).
 */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "shell/sh_int.h"

/* Click text cut short: an open bracket, parenthesis or brace (quotes and
 * comments skipped), or a last token that needs a right-hand side. */
static bool click_incomplete(const char *t)
{
	int depth = 0;
	const char *last = t;
	for (const char *p = t; *p; p++) {
		if (*p == '"' || *p == '\'') {
			char q = *p;
			for (p++; *p && *p != q; p++)
				if (*p == '\\' && q == '"' && p[1])
					p++;
			if (!*p)
				return true;
		} else if (p[0] == '/' && p[1] == '/') {
			p += strcspn(p, "\n");
			if (!*p)
				break;
		} else if (p[0] == '/' && p[1] == '*') {
			const char *e = strstr(p + 2, "*/");
			if (!e)
				return true;
			p = e + 1;
		} else if (*p == '(' || *p == '[' || *p == '{') {
			depth++;
		} else if (*p == ')' || *p == ']' || *p == '}') {
			depth--;
		}
		if (!isspace((unsigned char)*p))
			last = p;
	}
	if (depth > 0)
		return true;
	size_t n = (size_t)(last - t) + 1;
	return (n >= 2 && (!strncmp(last - 1, "->", 2) || !strncmp(last - 1, "::", 2))) || *last == ',';
}

bool sh_incomplete(const char *text)
{
	char *copy = strdup(text), *p = sh_trim(copy), *rest = p;
	bool more = false;
	if (*p && *p != '#') {
		const struct sh_cmd *c = sh_lookup(&rest);
		if (!c)
			more = sh_looks_like_lua(p) && sh_lua_incomplete(p, false);
		else if (!strcmp(c->name, "lua"))
			more = sh_lua_incomplete(rest, false);
		else if (!strcmp(c->name, "="))
			more = sh_lua_incomplete(rest, true);
		else if (!strcmp(c->name, "add") || !strcmp(c->name, "connect") || !strcmp(c->name, "disconnect") ||
			 !strcmp(c->name, "swap") || !strcmp(c->name, "reconfigure"))
			more = click_incomplete(rest);
	}
	free(copy);
	return more;
}
