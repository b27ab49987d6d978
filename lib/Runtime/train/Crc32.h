// CRC-32 as zlib and Python's zlib.crc32 compute it (IEEE polynomial, reflected), so a checkpoint's
// recorded checksums can be checked by any tool.
#ifndef DS_LIB_RUNTIME_TRAIN_CRC32_H
#define DS_LIB_RUNTIME_TRAIN_CRC32_H

#include <cstddef>
#include <cstdint>

namespace ds::rt {

// Continues a running CRC: crc32(crc32(0, a), b) == crc32 of a followed by b.
uint32_t crc32Update(uint32_t crc, const void *data, size_t size);

} // namespace ds::rt

#endif // DS_LIB_RUNTIME_TRAIN_CRC32_H
