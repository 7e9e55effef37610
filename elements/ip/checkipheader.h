/*
 * checkipheader.h - what CheckIPHeader and CheckIPHeader2 share: state,
 * argument rows, the batch function and handlers (checkipheader.c).  The
 * two classes differ only in the CHECKSUM default.
 */
#ifndef MB_EL_CHECKIPHEADER_H
#define MB_EL_CHECKIPHEADER_H

#include "../../runtime/el.h"

/* Drop reasons, in Click's order and with Click's names. */
enum cih_reason { CIH_TINY, CIH_VERSION, CIH_HLEN, CIH_IPLEN, CIH_CHECKSUM, CIH_SADDR, CIH_NREASONS };

struct cih_pw {
	uint64_t drops;
	uint64_t reason[CIH_NREASONS];
};

struct cih {
	uint64_t offset;
	char *badsrc, *gooddst, *interfaces;
	bool checksum, verbose, details;
	/* parsed lists, network order */
	uint32_t *bad, *good;
	int nbad, ngood;
	int warned;   /* the first failure has been reported */
};

#define CIH_ARG_ROWS(checksum_default)                                                                       \
	{"OFFSET", EL_T_UINT, offsetof(struct cih, offset), "0", EL_ARG_POS, "IP header offset"},            \
	{"BADSRC", EL_T_STRING, offsetof(struct cih, badsrc), NULL, 0, "bad source addresses (space-separated)"}, \
	{"GOODDST", EL_T_STRING, offsetof(struct cih, gooddst), NULL, 0,                                      \
	 "destinations exempt from BADSRC (space-separated)"},                                               \
	{"INTERFACES", EL_T_STRING, offsetof(struct cih, interfaces), NULL, 0,                                \
	 "this router's IP/LEN addresses: sets BADSRC and GOODDST"},                                         \
	{"CHECKSUM", EL_T_BOOL, offsetof(struct cih, checksum), checksum_default, 0, "check the checksum"},   \
	{"VERBOSE", EL_T_BOOL, offsetof(struct cih, verbose), "false", 0, "report every bad packet"},       \
	{"DETAILS", EL_T_BOOL, offsetof(struct cih, details), "false", 0, "keep counts per reason"}

extern const struct el_handler cih_handlers[];
int cih_init(struct el *e, struct rt_err *err);
void cih_cleanup(struct el *e);
void cih_push(struct el_node *n, int port, struct rt_batch *b);

#endif
