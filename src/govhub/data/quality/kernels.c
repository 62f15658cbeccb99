/* Check kernels over Arrow string arrays, one pass per value, for the columnar quality path.
 *
 * Each function reads n values of an Arrow `string` (int32 offsets, wide = 0) or
 * `large_string` (int64 offsets, wide = 1) array: its data bytes and its offsets, already
 * advanced to the array's first value. A validator writes out[i] = 1 where value i passes
 * and 0 where it fails; NULLs are the caller's to mask. The tables (alphabets, weights,
 * check characters) come from the caller, so the standards' constants live in one place.
 * Plain C99 with no Python headers: the build compiles it with the platform's C compiler and
 * Python loads it with ctypes, which releases the GIL for each call.
 */
#include <stdint.h>
#include <string.h>

#define WIDTH 18

static inline int64_t offset_at(const void *offsets, int wide, int64_t i) {
    return wide ? ((const int64_t *)offsets)[i] : (int64_t)((const int32_t *)offsets)[i];
}

/* Value i is exactly `width` bytes long, and each byte k is allowed by tables[k * 256 + byte]. */
void govhub_match_bytes(const uint8_t *data, const void *offsets, int wide, int64_t n,
                        int32_t width, const uint8_t *tables, uint8_t *out) {
    for (int64_t i = 0; i < n; i++) {
        int64_t start = offset_at(offsets, wide, i);
        uint8_t ok = offset_at(offsets, wide, i + 1) - start == width;
        if (ok) {
            const uint8_t *value = data + start;
            for (int32_t k = 0; k < width; k++) {
                ok &= tables[k * 256 + value[k]];
            }
        }
        out[i] = ok;
    }
}

/* GB 32100 (unified social credit code): 18 characters of the code alphabet (places: the
 * place of each byte in it, 255 outside), an authority first (authorities: 1 for those
 * bytes), digits in places 3 to 8, and the 18th the check character of the first 17
 * weighted: (31 - sum mod 31) mod 31. */
static inline uint8_t uscc_ok(const uint8_t *value, const uint8_t *places,
                              const uint8_t *authorities, const uint8_t *weights) {
    uint32_t place[WIDTH], any = 0, sum = 0, division = 0;
    for (int k = 0; k < WIDTH; k++) {
        place[k] = places[value[k]];
        any |= place[k];  /* 255 outside the alphabet: every bit set */
    }
    for (int k = 0; k < WIDTH - 1; k++) {
        sum += place[k] * weights[k];
    }
    for (int k = 2; k < 8; k++) {
        division |= place[k] > 9;
    }
    return (any != 255) & !division & authorities[value[0]]
           & ((31 - sum % 31) % 31 == place[WIDTH - 1]);
}

void govhub_uscc(const uint8_t *data, const void *offsets, int wide, int64_t n,
                 const uint8_t *places, const uint8_t *authorities, const uint8_t *weights,
                 uint8_t *out) {
    for (int64_t i = 0; i < n; i++) {
        int64_t start = offset_at(offsets, wide, i);
        out[i] = offset_at(offsets, wide, i + 1) - start == WIDTH
                 && uscc_ok(data + start, places, authorities, weights);
    }
}

static int days_in_month(int year, int month) {
    static const int days[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    int leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
    return days[month - 1] + (month == 2 && leap);
}

/* GB 11643 (resident identity number): 17 digits and a digit or X, characters 7 to 14 a real
 * birth date YYYYMMDD from 1900-01-01 to `today` (YYYYMMDD), and the 18th the check
 * character (checks: 11 bytes) of the first 17 digits weighted, mod 11. */
void govhub_id_number(const uint8_t *data, const void *offsets, int wide, int64_t n,
                      int32_t today, const uint8_t *weights, const uint8_t *checks,
                      uint8_t *out) {
    for (int64_t i = 0; i < n; i++) {
        int64_t start = offset_at(offsets, wide, i);
        uint8_t ok = offset_at(offsets, wide, i + 1) - start == WIDTH;
        if (ok) {
            const uint8_t *value = data + start;
            uint32_t sum = 0, wrong = 0;
            int32_t born = 0;
            for (int k = 0; k < WIDTH - 1; k++) {
                uint32_t digit = (uint32_t)value[k] - '0';  /* below '0' wraps round */
                wrong |= digit > 9;
                sum += digit * weights[k];
                if (k >= 6 && k < 14) {
                    born = born * 10 + (int32_t)digit;
                }
            }
            ok = !wrong && checks[sum % 11] == value[WIDTH - 1];
            if (ok) {
                int year = born / 10000, month = born / 100 % 100, day = born % 100;
                ok = year >= 1900 && born <= today && month >= 1 && month <= 12 && day >= 1
                     && day <= days_in_month(year, month);
            }
        }
        out[i] = ok;
    }
}

/* A 64-bit fingerprint of each value's bytes (equal values, equal fingerprints): the sum of
 * its 8-byte words (the last one zero-padded), each times an odd multiplier of its own, plus
 * the length, mixed at the end. The products are independent of each other, so the processor
 * overlaps them. */
void govhub_fingerprint(const uint8_t *data, const void *offsets, int wide, int64_t n,
                        uint64_t *out) {
    const uint64_t step = 2 * 0xBF58476D1CE4E5B9ULL;
    for (int64_t i = 0; i < n; i++) {
        int64_t start = offset_at(offsets, wide, i);
        int64_t length = offset_at(offsets, wide, i + 1) - start;
        const uint8_t *value = data + start;
        uint64_t h = (uint64_t)length * 0x9E3779B97F4A7C15ULL, key = step / 2, word;
        int64_t k = 0;
        for (; k + 8 <= length; k += 8, key += step) {
            memcpy(&word, value + k, 8);
            h += word * key;
        }
        if (k < length) {  /* byte by byte: a word's load could pass the buffer's end */
            word = 0;
            for (int j = 0; k + j < length; j++) {
                word |= (uint64_t)value[k + j] << (8 * j);
            }
            h += word * key;
        }
        h ^= h >> 31;
        h *= 0x94D049BB133111EBULL;
        out[i] = h ^ (h >> 29);
    }
}
