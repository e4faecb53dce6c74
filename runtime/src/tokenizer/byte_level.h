// GPT-2's byte-level alphabet: every byte maps to one printable Unicode character, so that a
// byte-level BPE vocabulary is a set of ordinary strings (a space becomes "Ġ", U+0120).
#ifndef SLIMTUNE_TOKENIZER_BYTE_LEVEL_H
#define SLIMTUNE_TOKENIZER_BYTE_LEVEL_H

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace slimtune {

// The code point byte `b` stands for (bytes_to_unicode() in GPT-2's encoder.py).
uint32_t byteLevelCodePoint(uint8_t b);
// Its UTF-8 encoding (one or two bytes).
const std::string &byteLevelChar(uint8_t b);
// The byte a code point stands for, if it is one of the 256 alphabet characters.
std::optional<uint8_t> byteOfByteLevelCodePoint(uint32_t codePoint);

// Raw bytes → their byte-level string.
std::string toByteLevel(std::string_view bytes);
// A byte-level token string → the bytes it stands for; nullopt when a character is outside
// the alphabet or the string is not valid UTF-8 (tokenizers' ByteLevel decoder then keeps the
// token's own bytes).
std::optional<std::string> fromByteLevel(std::string_view token);

} // namespace slimtune

#endif // SLIMTUNE_TOKENIZER_BYTE_LEVEL_H
