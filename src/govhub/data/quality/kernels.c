/* Check kernels over Arrow string arrays, one pass per value, for the columnar quality path,
 * and the search for repeated key fingerprints (`govhub_repeated`, at the end).
 *
 * Each text function reads n values of an Arrow `string` (int32 offsets, wide = 0) or
 * `large_string` (int64 offsets, wide = 1) array: its data bytes and its offsets, already
 * advanced to the array's first value. A validator writes out[i] = 1 where value i passes
 * and 0 where it fails; NULLs are the caller's to mask. Plain C99 with no Python headers: the
 * build compiles it with the platform's C compiler and Python loads it with ctypes, which
 * releases the GIL for each call. On x86-64 the two check-character validators read the first
 * 16 bytes of a value as one SSE2 vector (part of every x86-64 processor); elsewhere, or built
 * with -DGOVHUB_SCALAR, they read byte by byte. Tests compare both with the NumPy and SQL forms.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#if defined(__SSE2__) && !defined(GOVHUB_SCALAR)
#include <emmintrin.h>
#define GOVHUB_SSE2 1
#endif

#define WIDTH 18

static const uint8_t ID_WEIGHTS[17] = {7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2};
static const char ID_CHECKS[] = "10X98765432";
static const uint8_t USCC_WEIGHTS[17] = {1,  3,  9,  27, 19, 26, 16, 17, 20,
                                         29, 25, 13, 8,  24, 10, 30, 28};

static inline int64_t offset_at(const void *offsets, int wide, int64_t i) {
    return wide ? ((const int64_t *)offsets)[i] : (int64_t)((const int32_t *)offsets)[i];
}

/* A test of one value `width` bytes long, given what its kernel passes on (`context`). */
typedef int (*value_test)(const uint8_t *value, int32_t width, const void *context);

/* out[i] = 1 where value i is exactly `width` bytes long and passes `test`, 0 elsewhere. Each
 * kernel calls it with a test of its own, which the compiler inlines into the loop. */
static inline void test_each(const uint8_t *data, const void *offsets, int wide, int64_t n,
                             int32_t width, value_test test, const void *context,
                             uint8_t *out) {
    for (int64_t i = 0; i < n; i++) {
        int64_t start = offset_at(offsets, wide, i);
        out[i] = offset_at(offsets, wide, i + 1) - start == width &&
                 test(data + start, width, context);
    }
}

/* Each byte k is allowed by tables[k * 256 + byte] (`context`: the tables). */
static int bytes_allowed(const uint8_t *value, int32_t width, const void *context) {
    const uint8_t *tables = context;
    uint8_t ok = 1;
    for (int32_t k = 0; k < width; k++) {
        ok &= tables[k * 256 + value[k]];
    }
    return ok;
}

/* Value i is exactly `width` bytes long, and each byte k is allowed by tables[k * 256 + byte]. */
void govhub_match_bytes(const uint8_t *data, const void *offsets, int wide, int64_t n,
                        int32_t width, const uint8_t *tables, uint8_t *out) {
    test_each(data, offsets, wide, n, width, bytes_allowed, tables, out);
}

/* Tell whether the digits YYYYMMDD at `digits` are a real date from 1900-01-01 to `today`. */
static inline int real_birth_date(const uint8_t *digits, int32_t today) {
    static const int days[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    int year = (digits[0] - '0') * 1000 + (digits[1] - '0') * 100 + (digits[2] - '0') * 10 +
               (digits[3] - '0');
    int month = (digits[4] - '0') * 10 + (digits[5] - '0');
    int day = (digits[6] - '0') * 10 + (digits[7] - '0');
    if (year < 1900 || year * 10000 + month * 100 + day > today || month < 1 || month > 12 ||
        day < 1) {
        return 0;
    }
    int leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
    return day <= days[month - 1] || (month == 2 && day == 29 && leap);
}

/* The weighted sum of the first 17 digits of an 18-byte value, and whether all 17 are
 * digits. */
static inline uint32_t id_digits(const uint8_t *value, int *digits) {
#ifdef GOVHUB_SSE2
    const __m128i zero = _mm_setzero_si128();
    __m128i d = _mm_sub_epi8(_mm_loadu_si128((const __m128i *)value), _mm_set1_epi8('0'));
    /* a byte minus '0' is a digit when it does not pass 9 (unsigned, so below '0' wraps) */
    __m128i over = _mm_subs_epu8(d, _mm_set1_epi8(9));
    *digits = _mm_movemask_epi8(_mm_cmpeq_epi8(over, zero)) == 0xFFFF;
    __m128i low = _mm_madd_epi16(_mm_unpacklo_epi8(d, zero), _mm_setr_epi16(7, 9, 10, 5, 8, 4, 2, 1));
    __m128i high =
        _mm_madd_epi16(_mm_unpackhi_epi8(d, zero), _mm_setr_epi16(6, 3, 7, 9, 10, 5, 8, 4));
    __m128i sum = _mm_add_epi32(low, high);
    sum = _mm_add_epi32(sum, _mm_shuffle_epi32(sum, _MM_SHUFFLE(1, 0, 3, 2)));
    sum = _mm_add_epi32(sum, _mm_shuffle_epi32(sum, _MM_SHUFFLE(2, 3, 0, 1)));
    uint32_t last = (uint32_t)value[16] - '0';
    *digits &= last <= 9;
    return (uint32_t)_mm_cvtsi128_si32(sum) + last * ID_WEIGHTS[16];
#else
    uint32_t sum = 0, wrong = 0;
    for (int k = 0; k < WIDTH - 1; k++) {
        uint32_t digit = (uint32_t)value[k] - '0'; /* below '0' wraps round */
        wrong |= digit > 9;
        sum += digit * ID_WEIGHTS[k];
    }
    *digits = !wrong;
    return sum;
#endif
}

/* The check character and the birth date of an 18-byte value (`context`: today, YYYYMMDD). */
static int id_number_ok(const uint8_t *value, int32_t width, const void *context) {
    (void)width;
    int digits;
    uint32_t sum = id_digits(value, &digits);
    return digits && (uint8_t)ID_CHECKS[sum % 11] == value[WIDTH - 1] &&
           real_birth_date(value + 6, *(const int32_t *)context);
}

/* GB 11643 (resident identity number): 17 digits and a digit or X, characters 7 to 14 a real
 * birth date YYYYMMDD from 1900-01-01 to `today` (YYYYMMDD), and the 18th the check
 * character of the first 17 digits weighted, mod 11. */
void govhub_id_number(const uint8_t *data, const void *offsets, int wide, int64_t n,
                      int32_t today, uint8_t *out) {
    test_each(data, offsets, wide, n, WIDTH, id_number_ok, &today, out);
}

/* One more than the place of each byte in the credit code's alphabet (0: not in it), and
 * the bytes that name a registration authority. */
static const uint8_t USCC_PLACE1[256] = {
    ['0'] = 1, ['1'] = 2, ['2'] = 3, ['3'] = 4, ['4'] = 5, ['5'] = 6, ['6'] = 7, ['7'] = 8,
    ['8'] = 9, ['9'] = 10, ['A'] = 11, ['B'] = 12, ['C'] = 13, ['D'] = 14, ['E'] = 15, ['F'] = 16,
    ['G'] = 17, ['H'] = 18, ['J'] = 19, ['K'] = 20, ['L'] = 21, ['M'] = 22, ['N'] = 23, ['P'] = 24,
    ['Q'] = 25, ['R'] = 26, ['T'] = 27, ['U'] = 28, ['W'] = 29, ['X'] = 30, ['Y'] = 31,
};
static const uint8_t USCC_AUTHORITY[256] = {
    ['1'] = 1, ['2'] = 1, ['3'] = 1, ['4'] = 1, ['5'] = 1, ['6'] = 1, ['7'] = 1, ['8'] = 1,
    ['9'] = 1, ['A'] = 1, ['N'] = 1, ['Y'] = 1,
};

static inline uint8_t uscc_place(uint8_t byte) {
    return (uint8_t)(USCC_PLACE1[byte] - 1); /* 255 outside the alphabet */
}

/* The weighted sum of the places of the first 17 characters of an 18-byte value, and whether
 * all 17 are in the alphabet with digits in places 3 to 8. */
static inline uint32_t uscc_places(const uint8_t *value, int *valid) {
#ifdef GOVHUB_SSE2
    const __m128i zero = _mm_setzero_si128();
    __m128i bytes = _mm_loadu_si128((const __m128i *)value);
    __m128i d = _mm_sub_epi8(bytes, _mm_set1_epi8('0'));
    __m128i digit = _mm_cmpeq_epi8(_mm_subs_epu8(d, _mm_set1_epi8(9)), zero);
    /* A to Y less I, O, S and V (Z is past Y): letters 0..24 from A, places 10..30 */
    __m128i up = _mm_sub_epi8(bytes, _mm_set1_epi8('A'));
    __m128i letter = _mm_cmpeq_epi8(_mm_subs_epu8(up, _mm_set1_epi8(24)), zero);
    __m128i skipped = _mm_or_si128(
        _mm_or_si128(_mm_cmpeq_epi8(up, _mm_set1_epi8(8)), _mm_cmpeq_epi8(up, _mm_set1_epi8(14))),
        _mm_or_si128(_mm_cmpeq_epi8(up, _mm_set1_epi8(18)), _mm_cmpeq_epi8(up, _mm_set1_epi8(21))));
    letter = _mm_andnot_si128(skipped, letter);
    /* a comparison's TRUE is -1: adding it takes one off for each skipped letter below */
    __m128i before = _mm_add_epi8(
        _mm_add_epi8(_mm_cmpgt_epi8(up, _mm_set1_epi8(8)), _mm_cmpgt_epi8(up, _mm_set1_epi8(14))),
        _mm_add_epi8(_mm_cmpgt_epi8(up, _mm_set1_epi8(18)), _mm_cmpgt_epi8(up, _mm_set1_epi8(21))));
    __m128i place = _mm_add_epi8(_mm_add_epi8(up, _mm_set1_epi8(10)), before);
    place = _mm_or_si128(_mm_and_si128(digit, d), _mm_andnot_si128(digit, place));
    int digits = _mm_movemask_epi8(digit);
    int known = _mm_movemask_epi8(_mm_or_si128(digit, letter));
    uint8_t last = uscc_place(value[16]);
    *valid = known == 0xFFFF && (digits & 0xFC) == 0xFC && last != 255;
    __m128i low = _mm_madd_epi16(_mm_unpacklo_epi8(place, zero),
                                 _mm_setr_epi16(1, 3, 9, 27, 19, 26, 16, 17));
    __m128i high = _mm_madd_epi16(_mm_unpackhi_epi8(place, zero),
                                  _mm_setr_epi16(20, 29, 25, 13, 8, 24, 10, 30));
    __m128i sum = _mm_add_epi32(low, high);
    sum = _mm_add_epi32(sum, _mm_shuffle_epi32(sum, _MM_SHUFFLE(1, 0, 3, 2)));
    sum = _mm_add_epi32(sum, _mm_shuffle_epi32(sum, _MM_SHUFFLE(2, 3, 0, 1)));
    return (uint32_t)_mm_cvtsi128_si32(sum) + (uint32_t)last * USCC_WEIGHTS[16];
#else
    uint32_t sum = 0, any = 0, division = 0;
    for (int k = 0; k < WIDTH - 1; k++) {
        uint32_t place = uscc_place(value[k]);
        any |= place; /* 255 outside the alphabet: every bit set */
        sum += place * USCC_WEIGHTS[k];
        division |= k >= 2 && k < 8 && place > 9;
    }
    *valid = any != 255 && !division;
    return sum;
#endif
}

/* The authority, places and check character of an 18-byte value (no `context`). */
static int uscc_ok(const uint8_t *value, int32_t width, const void *context) {
    (void)width;
    (void)context;
    int valid;
    uint32_t sum = uscc_places(value, &valid);
    return valid && USCC_AUTHORITY[value[0]] &&
           (31 - sum % 31) % 31 == uscc_place(value[WIDTH - 1]);
}

/* GB 32100 (unified social credit code): 18 characters of the code alphabet, a registration
 * authority first, digits in places 3 to 8 (the division), and the 18th the check character
 * of the first 17 weighted: (31 - sum mod 31) mod 31. */
void govhub_uscc(const uint8_t *data, const void *offsets, int wide, int64_t n, uint8_t *out) {
    test_each(data, offsets, wide, n, WIDTH, uscc_ok, NULL, out);
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
        if (k < length) { /* byte by byte: a word's load could pass the buffer's end */
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

/* Repeated fingerprints, found by radix partitioning: each fingerprint's top `bits` bits name
 * its partition (about PART_SIZE fingerprints each), where its low 32 bits go; each partition's
 * low words then meet in an open-addressing table small enough for the processor's fastest
 * cache. A low word met twice in a partition gives a signature (partition and low word, 32 +
 * `bits` bits) to a set, and a last pass in fingerprint order writes the index of each
 * fingerprint whose signature is in the set. */
#define PART_SIZE 4096
#define NO_SIGNATURE UINT64_MAX /* above every signature: they have at most 32 + 24 bits */

static inline uint64_t partition_of(uint64_t print, int bits) {
    return bits ? print >> (64 - bits) : 0;
}

static inline uint64_t signature_of(uint64_t print, int bits) {
    return partition_of(print, bits) << 32 | (uint32_t)print;
}

static inline uint64_t table_size(int64_t count) { /* a power of two, at least 2 * count */
    uint64_t size = 16;
    while (size < 2 * (uint64_t)count) {
        size *= 2;
    }
    return size;
}

/* The signatures whose low word occurs twice or more in its partition, appended to `found`
 * (grown as needed); returns how many, or -1 where memory runs out. */
static int64_t repeated_signatures(const uint32_t *low, const int64_t *start, int bits,
                                   uint64_t **found) {
    int64_t parts = (int64_t)1 << bits, largest = 0, count = 0, room = 64;
    for (int64_t p = 0; p < parts; p++) {
        largest = start[p + 1] - start[p] > largest ? start[p + 1] - start[p] : largest;
    }
    uint64_t most = table_size(largest);
    uint32_t *keys = malloc(most * sizeof(uint32_t));
    uint8_t *seen = malloc(most); /* 0: empty, 1: met once, 2: met again */
    *found = malloc(room * sizeof(uint64_t));
    if (keys == NULL || seen == NULL || *found == NULL) {
        count = -1;
        goto done;
    }
    for (int64_t p = 0; p < parts; p++) {
        uint64_t mask = table_size(start[p + 1] - start[p]) - 1;
        memset(seen, 0, mask + 1);
        for (int64_t i = start[p]; i < start[p + 1]; i++) {
            uint64_t slot = low[i] & mask;
            while (seen[slot] && keys[slot] != low[i]) {
                slot = (slot + 1) & mask;
            }
            if (seen[slot] == 0) {
                seen[slot] = 1;
                keys[slot] = low[i];
            } else if (seen[slot] == 1) {
                seen[slot] = 2;
                if (count == room) {
                    uint64_t *more = realloc(*found, 2 * room * sizeof(uint64_t));
                    if (more == NULL) {
                        count = -1;
                        goto done;
                    }
                    *found = more;
                    room *= 2;
                }
                (*found)[count++] = (uint64_t)p << 32 | low[i];
            }
        }
    }
done:
    free(keys);
    free(seen);
    return count;
}

/* Write to out (room for n) the indexes, ascending, of the fingerprints that occur more than
 * once, and of the rare others whose signature another shares; return how many, or -1 where
 * memory runs out. */
int64_t govhub_repeated(const uint64_t *prints, int64_t n, int64_t *out) {
    int bits = 0;
    while (bits < 24 && (n >> bits) > PART_SIZE) {
        bits++;
    }
    int64_t parts = (int64_t)1 << bits, count = -1, k = 0;
    int64_t *start = calloc(parts + 1, sizeof(int64_t)), *fill = malloc(parts * sizeof(int64_t));
    uint32_t *low = malloc((n ? n : 1) * sizeof(uint32_t));
    uint64_t *found = NULL, *set = NULL, *filter = NULL;
    if (start == NULL || fill == NULL || low == NULL) {
        goto done;
    }
    for (int64_t i = 0; i < n; i++) {
        start[partition_of(prints[i], bits) + 1]++;
    }
    for (int64_t p = 0; p < parts; p++) {
        start[p + 1] += start[p];
        fill[p] = start[p];
    }
    for (int64_t i = 0; i < n; i++) {
        low[fill[partition_of(prints[i], bits)]++] = (uint32_t)prints[i];
    }
    int64_t signatures = repeated_signatures(low, start, bits, &found);
    if (signatures <= 0) {
        count = signatures;
        goto done;
    }
    /* The set, and in front of it a filter of 8 bits or more per signature, small enough for
     * the fastest cache, that turns away nine fingerprints in ten before the set is read. */
    uint64_t mask = table_size(signatures) - 1, spread = 4 * (mask + 1) - 1;
    set = malloc((mask + 1) * sizeof(uint64_t));
    filter = calloc((spread + 1) / 64, sizeof(uint64_t));
    if (set == NULL || filter == NULL) {
        goto done;
    }
    memset(set, 0xFF, (mask + 1) * sizeof(uint64_t)); /* every slot NO_SIGNATURE */
    for (int64_t s = 0; s < signatures; s++) {
        uint64_t slot = found[s] & mask, bit = found[s] & spread;
        filter[bit >> 6] |= (uint64_t)1 << (bit & 63);
        while (set[slot] != NO_SIGNATURE) {
            slot = (slot + 1) & mask;
        }
        set[slot] = found[s];
    }
    for (int64_t i = 0; i < n; i++) {
        uint64_t signature = signature_of(prints[i], bits), slot = signature & mask;
        uint64_t bit = signature & spread;
        if ((filter[bit >> 6] >> (bit & 63) & 1) == 0) {
            continue;
        }
        while (set[slot] != NO_SIGNATURE && set[slot] != signature) {
            slot = (slot + 1) & mask;
        }
        if (set[slot] == signature) {
            out[k++] = i;
        }
    }
    count = k;
done:
    free(start);
    free(fill);
    free(low);
    free(found);
    free(set);
    free(filter);
    return count;
}
