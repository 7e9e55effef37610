/*
 * clsmember.c - the classifying elements described for the chain pass
 * (clsel.h): one place that knows all four state layouts.
 */
#include "clsel.h"
#include "ipclassify.h"

bool cls_member_get(struct el *e, struct cls_member *m)
{
	const char *c = e->cls->name;
	memset(m, 0, sizeof(*m));
	m->nomatch_port = -1;
	m->out_cnt = -1;
	if (!strcmp(c, "Classifier")) {
		m->kind = CLS_M_RAW;
		m->prog = EL_STATE(e, struct classifier)->prog;
		m->nomatch_cnt = offsetof(struct classifier_pw, drops);
	} else if (!strcmp(c, "IPClassifier") || !strcmp(c, "IPFilter")) {
		m->kind = CLS_M_IP;
		m->prog = EL_STATE(e, struct ipclassify)->prog;
		m->nomatch_cnt = offsetof(struct ipclassify_pw, drops);
	} else if (!strcmp(c, "ACLClassifier")) {
		const struct aclc *s = e->state;
		if (s->hw_on)
			return false; /* its packets carry the NIC's marks: it reads them itself */
		if (s->v6 && s->v6->n)
			return false; /* merged chains classify IPv4 only */
		if (!s->off || mig_off_kind(s->off) != MIG_CPU)
			return false; /* it runs on a device (or is not set up) */
		m->kind = CLS_M_ACL;
		m->acl = s->acl;
		m->nomatch_port = (int)s->nomatch;
		m->nomatch_cnt = offsetof(struct aclc_pw, nomatch);
		m->out_cnt = (int32_t)offsetof(struct aclc_pw, out);
		m->out_cnt_max = ACL_MAX_OUT;
		m->defer_merge = s->merge_defer;
	} else {
		return false;
	}
	return true;
}
