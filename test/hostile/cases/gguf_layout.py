"""Where each field of a GGUF file lies (v2/v3: header, key-value metadata, tensor infos), so
that a hostile case can change exactly one field of a valid file."""
import struct

SCALAR = {0: "<B", 1: "<b", 2: "<H", 3: "<h", 4: "<I", 5: "<i", 6: "<f", 7: "<B", 10: "<Q", 11: "<q",
          12: "<d"}
STRING, ARRAY = 8, 9


class Layout:
    """offsets[name] = byte offset of a field: "version", "tensor_count", "kv_count";
    "kv:<key>" (its value), "kv_type:<key>", "kv_key_len:<key>"; "tensor:<name>:<field>" for
    n_dims, dim0, type, offset, name_len. values[key] = the decoded scalar or string."""

    def __init__(self, data):
        self.data = data
        self.offsets, self.values, self.tensors = {}, {}, []
        self.offsets.update(version=4, tensor_count=8, kv_count=16)
        _, _, tensors, kvs = struct.unpack_from("<4sIQQ", data, 0)
        at = 24
        for _ in range(kvs):
            key_at = at
            key, at = self._string(at)
            self.offsets["kv_key_len:" + key] = key_at
            kind = struct.unpack_from("<I", data, at)[0]
            self.offsets["kv_type:" + key] = at
            at += 4
            self.offsets["kv:" + key] = at
            value, at = self._value(kind, at)
            self.values[key] = value
        for _ in range(tensors):
            name_at = at
            name, at = self._string(at)
            self.tensors.append(name)
            p = "tensor:" + name + ":"
            self.offsets[p + "name_len"] = name_at
            self.offsets[p + "n_dims"] = at
            dims = struct.unpack_from("<I", data, at)[0]
            at += 4
            self.offsets[p + "dim0"] = at
            at += 8 * dims
            self.offsets[p + "type"] = at
            self.offsets[p + "offset"] = at + 4
            at += 12
        self.end_of_infos = at

    def _string(self, at):
        n = struct.unpack_from("<Q", self.data, at)[0]
        return self.data[at + 8:at + 8 + n].decode("utf-8", "replace"), at + 8 + n

    def _value(self, kind, at):
        if kind == STRING:
            return self._string(at)
        if kind == ARRAY:
            inner, count = struct.unpack_from("<IQ", self.data, at)
            at += 12
            items = []
            for _ in range(count):
                item, at = self._value(inner, at)
                items.append(item)
            return items, at
        fmt = SCALAR[kind]
        return struct.unpack_from(fmt, self.data, at)[0], at + struct.calcsize(fmt)

    def patched(self, field, fmt, *values):
        """The file with the field at offsets[field] overwritten by struct.pack(fmt, *values)."""
        out = bytearray(self.data)
        struct.pack_into(fmt, out, self.offsets[field], *values)
        return bytes(out)
