// Slicing-by-8 CRC-32: eight bytes per step through eight tables, several times faster than the
// bytewise loop, which matters when a checkpoint holds gigabytes.
#include "Crc32.h"

#include <array>
#include <cstring>

namespace ds::rt {

namespace {
using Tables = std::array<std::array<uint32_t, 256>, 8>;

Tables makeTables() {
  Tables t{};
  for (uint32_t i = 0; i < 256; ++i) {
    uint32_t c = i;
    for (int k = 0; k < 8; ++k)
      c = (c & 1u) ? 0xEDB88320u ^ (c >> 1) : c >> 1;
    t[0][i] = c;
  }
  for (uint32_t i = 0; i < 256; ++i)
    for (int s = 1; s < 8; ++s)
      t[s][i] = (t[s - 1][i] >> 8) ^ t[0][t[s - 1][i] & 0xffu];
  return t;
}
} // namespace

uint32_t crc32Update(uint32_t crc, const void *data, size_t size) {
  static const Tables t = makeTables();
  const unsigned char *p = static_cast<const unsigned char *>(data);
  uint32_t c = ~crc;
  // The 8-byte step reads little-endian words; ds only targets little-endian hosts (as does the
  // safetensors format itself).
  for (; size >= 8; size -= 8, p += 8) {
    uint32_t lo, hi;
    std::memcpy(&lo, p, 4);
    std::memcpy(&hi, p + 4, 4);
    lo ^= c;
    c = t[7][lo & 0xffu] ^ t[6][(lo >> 8) & 0xffu] ^ t[5][(lo >> 16) & 0xffu] ^ t[4][lo >> 24] ^
        t[3][hi & 0xffu] ^ t[2][(hi >> 8) & 0xffu] ^ t[1][(hi >> 16) & 0xffu] ^ t[0][hi >> 24];
  }
  for (; size > 0; --size, ++p)
    c = t[0][(c ^ *p) & 0xffu] ^ (c >> 8);
  return ~c;
}

} // namespace ds::rt
