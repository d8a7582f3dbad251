/*
 * SHA-NI double SHA-256 nonce scan for HealthLedger (see docs/hashing.md and ShaNiKernel.cs).
 *
 * .NET has no SHA-NI intrinsics, so this one leaf function is compiled to position-independent machine code
 * (no relocations, no data sections, no calls) and embedded as bytes in ShaNiKernel.Code.cs; regenerate with
 * ./build.sh. Every constant comes in through `ctx` so that the code needs nothing but itself.
 *
 * ctx layout (uint32 words, prepared by ShaNiKernel.cs):
 *   [0..7]    midstate after bytes 0..127, in SHA-NI order ABEF (0..3) and CDGH (4..7)
 *   [8..23]   third block W0..W15 as words (W0 = 0, replaced per nonce)
 *   [24..31]  SHA-256 IV in ABEF / CDGH order
 *   [32..39]  second-hash padding words W8..W15
 *   [40..103] K[0..63]
 *
 * Returns the index i < count of the first nonce first+i whose hash's top 32-bit word is <= target_top,
 * or count when there is none. The caller verifies candidates exactly.
 */
#include <immintrin.h>
#include <stdint.h>

#ifndef LANES
#define LANES 2
#endif

#define FOR_LANES for (int j = 0; j < LANES; j++)

static inline __attribute__((always_inline)) void compress(__m128i s0[LANES], __m128i s1[LANES], __m128i m[4][LANES], const uint32_t *k)
{
    __m128i msg[LANES], tmp[LANES];
#pragma GCC unroll 16
    for (int g = 0; g < 16; g++)
    {
        const __m128i kg = _mm_loadu_si128((const __m128i *)(k + 4 * g));
        FOR_LANES { msg[j] = _mm_add_epi32(m[g & 3][j], kg); }
        FOR_LANES { s1[j] = _mm_sha256rnds2_epu32(s1[j], s0[j], msg[j]); }
        if (g >= 3 && g <= 14)
        {
            FOR_LANES
            {
                tmp[j] = _mm_alignr_epi8(m[g & 3][j], m[(g + 3) & 3][j], 4);
                m[(g + 1) & 3][j] = _mm_add_epi32(m[(g + 1) & 3][j], tmp[j]);
                m[(g + 1) & 3][j] = _mm_sha256msg2_epu32(m[(g + 1) & 3][j], m[g & 3][j]);
            }
        }
        FOR_LANES { msg[j] = _mm_shuffle_epi32(msg[j], 0x0E); }
        FOR_LANES { s0[j] = _mm_sha256rnds2_epu32(s0[j], s1[j], msg[j]); }
        if (g >= 1 && g <= 12)
        {
            FOR_LANES { m[(g + 3) & 3][j] = _mm_sha256msg1_epu32(m[(g + 3) & 3][j], m[g & 3][j]); }
        }
    }
}

uint32_t shani_scan(const uint32_t *ctx, uint32_t first, uint32_t count, uint32_t target_top)
{
    const __m128i mid0 = _mm_loadu_si128((const __m128i *)(ctx + 0));
    const __m128i mid1 = _mm_loadu_si128((const __m128i *)(ctx + 4));
    const __m128i b0 = _mm_loadu_si128((const __m128i *)(ctx + 8));
    const __m128i b1 = _mm_loadu_si128((const __m128i *)(ctx + 12));
    const __m128i b2 = _mm_loadu_si128((const __m128i *)(ctx + 16));
    const __m128i b3 = _mm_loadu_si128((const __m128i *)(ctx + 20));
    const __m128i iv0 = _mm_loadu_si128((const __m128i *)(ctx + 24));
    const __m128i iv1 = _mm_loadu_si128((const __m128i *)(ctx + 28));
    const __m128i p2 = _mm_loadu_si128((const __m128i *)(ctx + 32));
    const __m128i p3 = _mm_loadu_si128((const __m128i *)(ctx + 36));
    const uint32_t *k = ctx + 40;

    for (uint32_t i = 0; i < count; i += LANES)
    {
        __m128i s0[LANES], s1[LANES], m[4][LANES];
        FOR_LANES
        {
            s0[j] = mid0;
            s1[j] = mid1;
            m[0][j] = _mm_insert_epi32(b0, (int)__builtin_bswap32(first + i + (uint32_t)j), 0);
            m[1][j] = b1;
            m[2][j] = b2;
            m[3][j] = b3;
        }

        compress(s0, s1, m, k);

        FOR_LANES
        {
            /* Digest = state + midstate, ABEF/CDGH back to A..D / E..H: the second hash's W0..W7. */
            __m128i abef = _mm_add_epi32(s0[j], mid0);
            __m128i cdgh = _mm_add_epi32(s1[j], mid1);
            __m128i feba = _mm_shuffle_epi32(abef, 0x1B);
            __m128i dchg = _mm_shuffle_epi32(cdgh, 0xB1);
            m[0][j] = _mm_blend_epi16(feba, dchg, 0xF0);
            m[1][j] = _mm_alignr_epi8(dchg, feba, 8);
            m[2][j] = p2;
            m[3][j] = p3;
            s0[j] = iv0;
            s1[j] = iv1;
        }

        compress(s0, s1, m, k);

        FOR_LANES
        {
            /* A is the top dword of ABEF. */
            uint32_t top = (uint32_t)_mm_extract_epi32(_mm_add_epi32(s0[j], iv0), 3);
            if (top <= target_top && i + (uint32_t)j < count)
            {
                return i + (uint32_t)j;
            }
        }
    }

    return count;
}
