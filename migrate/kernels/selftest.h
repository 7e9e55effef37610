/*
 * selftest.h - the device layer's own check: an integer mix every placement
 * must compute identically (tests/migrate/test_dev.c).
 */
#ifndef MIG_SELFTEST_H
#define MIG_SELFTEST_H
#include "mig_kernel.h"

MIG_DEV uint32_t mig_selftest_mix(uint32_t x, uint32_t seed)
{
	x ^= seed;
	x *= 0x9e3779b1u;
	x ^= x >> 15;
	x *= 0x85ebca77u;
	x ^= x >> 13;
	return x;
}
#endif
