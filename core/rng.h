/*
 * rng.h - a small deterministic PRNG (xoshiro256** seeded by splitmix64),
 * so the demo is repeatable with --seed on every platform.
 */
#ifndef PERWATT_RNG_H
#define PERWATT_RNG_H

#include <stdint.h>

struct rng { uint64_t s[4]; };

void rng_seed(struct rng *r, uint64_t seed);
uint64_t rng_next(struct rng *r);
double rng_uniform(struct rng *r);      /* [0, 1) */
double rng_normal(struct rng *r);       /* mean 0, sd 1 */

#endif
