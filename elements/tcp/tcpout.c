/*
 * TCPOut - the end of a TCP stream section: rewrites each packet's
 * sequence number through the edits of its direction and its
 * acknowledgement through the edits of the other direction, strips SACK
 * blocks that would name edited positions, and fixes the checksums, so
 * both ends see one consistent stream after elements between TCPIn and
 * TCPOut removed, inserted or replaced bytes (flow/flow_stream.h).
 *
 * Per packet: two walks of at most FS_EDITS edits; packets of flows
 * without edits are only parsed.
 */
#include <errno.h>

#include "flow/flow_stream.h"

struct tout {
	struct fs_anchor *tcpin;   /* where TCPIn's slot is */
};

struct tout_pw {
	uint64_t pkts, seq_rewritten, ack_rewritten, sack_stripped, noflow;
};

/* Replace SACK options (kind 5) by NOPs; true when one was there. */
static bool tout_strip_sack(struct rte_tcp_hdr *t)
{
	uint8_t *o = (uint8_t *)(t + 1), *end = (uint8_t *)t + (t->data_off >> 4) * 4;
	bool any = false;
	while (o < end) {
		if (*o == 0)
			break;
		if (*o == 1) {
			o++;
			continue;
		}
		if (o + 1 >= end || o[1] < 2 || o + o[1] > end)
			break;
		if (*o == 5) {
			memset(o, 1, o[1]);
			any = true;
		}
		o += o[1];
	}
	return any;
}

static void tout_push(struct el_node *n, int port, struct rt_batch *b)
{
	(void)port;
	const struct tout *s = n->state;
	struct tout_pw *pw = el_pw(n->e);
	pw->pkts += b->n;
	for (uint32_t i = 0; i < b->n; i++) {
		struct rte_mbuf *m = b->pkts[i];
		struct fs_flow *f = fs_flow_of(s->tcpin, m);
		struct fs_pkt p;
		if (!f || !fs_parse(m, &p)) {
			pw->noflow++;
			continue;
		}
		int dir = fs_dir_of(m);
		struct fs_dir *d = &f->d[dir], *o = &f->d[dir ^ 1];
		bool fix = false;
		if (d->init && (d->nedit || d->base) && !(p.flags & RTE_TCP_SYN_FLAG)) {
			uint32_t seq = d->isn + flow_stream_fwd(d, p.seq - d->isn);
			fix = true;  /* its payload may have been edited */
			if (seq != p.seq) {
				p.tcp->sent_seq = rte_cpu_to_be_32(seq);
				pw->seq_rewritten++;
			}
		}
		if ((p.flags & RTE_TCP_ACK_FLAG) && o->init) {
			uint32_t orig = flow_stream_inv(o, p.ack - o->isn);
			if (fs_diff(orig, o->acked) > 0)
				o->acked = orig;
			if (o->nedit || o->base) {
				uint32_t ack = o->isn + orig;
				if (ack != p.ack) {
					p.tcp->recv_ack = rte_cpu_to_be_32(ack);
					pw->ack_rewritten++;
					fix = true;
				}
				if (tout_strip_sack(p.tcp)) {
					pw->sack_stripped++;
					fix = true;
				}
			}
		}
		if (fix)
			flow_fix_csums(p.ip, rt_len(m) - (uint32_t)((uint8_t *)p.tcp - rt_data(m)));
	}
	el_output(n, 0, b);
}

static int tout_init(struct el *e, struct rt_err *err)
{
	struct tout *s = e->state;
	if (!(s->tcpin = flow_stream_attach(e)))
		return rt_errf(err, &e->loc, -EINVAL, "%s: TCPOut needs a TCPIn upstream (through input 0)", e->name);
	return 0;
}

static void tout_cleanup(struct el *e)
{
	flow_stream_detach(((struct tout *)e->state)->tcpin);
}

static int tout_read(struct el *e, intptr_t off, struct rt_buf *out)
{
	rt_buf_printf(out, "%llu", (unsigned long long)el_pw_sum(e, (size_t)off));
	return 0;
}

#define H(f) offsetof(struct tout_pw, f)
static const struct el_handler handlers[] = {
	{"count", tout_read, NULL, H(pkts), 0, "packets in"},
	{"seq_rewritten", tout_read, NULL, H(seq_rewritten), 0, "sequence numbers moved by edits"},
	{"ack_rewritten", tout_read, NULL, H(ack_rewritten), 0, "acknowledgements moved back by the other direction's edits"},
	{"sack_stripped", tout_read, NULL, H(sack_stripped), 0, "packets whose SACK blocks became NOPs"},
	{"noflow", tout_read, NULL, H(noflow), 0, "packets passed unchanged: no flow or not TCP"},
	EL_HANDLERS_END,
};

static struct el_class tout_class = {
	.name = "TCPOut",
	.sig = "TCPOut()",
	.summary = "rewrites TCP sequence/acknowledgement numbers after stream edits",
	.doc = "Closes the section that a TCPIn opens: elements between them may remove, insert or "
	       "replace payload bytes (flow/flow_stream.h records each edit per flow and direction). "
	       "TCPOut maps each packet's sequence number forward through the edits of its direction "
	       "and its acknowledgement backward through the edits of the other direction (an "
	       "acknowledgement that falls inside inserted bytes acknowledges only what came before "
	       "them), turns SACK options into NOPs once the other direction has edits (their blocks "
	       "would name edited positions), and recomputes the IP and TCP checksums of every packet "
	       "it changed or that an edit may have changed. Flows without edits pass untouched. "
	       "Needs a TCPIn upstream (found through input 0 when the graph is built).",
	.ports = "1/1",
	.state_size = sizeof(struct tout),
	.pw_size = sizeof(struct tout_pw),
	.flags = EL_C_NOARGS,
	.init = tout_init,
	.cleanup = tout_cleanup,
	.push = tout_push,
	.handlers = handlers,
};
EL_REGISTER(tout_class)
