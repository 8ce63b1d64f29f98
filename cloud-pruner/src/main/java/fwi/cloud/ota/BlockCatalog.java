package fwi.cloud.ota;

import fwi.cloud.registry.BlockLayout;
import java.util.Optional;

/**
 * Which files the block publisher serves and how each is cut into blocks. In one process that is
 * the registry ({@code registry::blockLayout}); an instance that does not own the registry can
 * answer from the signed manifests it has seen (each carries sha256, size_bytes and
 * block_size_bytes). Called for every request: fast and thread-safe.
 */
@FunctionalInterface
public interface BlockCatalog {
  /** The layout of the file with this SHA-256 (64 lower-case hex digits); empty if it is not served. */
  Optional<BlockLayout> layout(String sha256Hex);
}
