package org.mxmedia.examples;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import java.io.IOException;
import java.lang.ref.Cleaner;
import java.nio.ByteBuffer;
import java.nio.MappedByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.FileTime;
import java.time.Duration;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicInteger;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Whole-file read-only mappings of media files, kept between requests so that serving a file again
 * costs one {@code stat}, not an open, a map, page faults on every page and an unmap: a hot file's
 * page tables stay populated, and the kernel copies from the page cache to the socket.
 *
 * <p>A mapping is reused only while the file at its path is the same file (device and inode, size
 * and modification time, checked with one {@code stat} per request); otherwise the file is mapped
 * afresh. Blob files are written once and renamed into place, never changed in place, which is what
 * makes a mapping safe to share (a truncated mapped file would fault the reader).
 *
 * <p>Bounded: at most {@code maxWeight} units, one unit per mapping plus one per MiB mapped, and a
 * mapping unused for {@link #IDLE} is dropped. A dropped mapping is unmapped by the garbage
 * collector once no response still writes from it; until then it still holds one of the process's
 * memory map areas ({@code vm.max_map_count}, 65530 by default, which thread stacks and the heap
 * need too), so at most {@code maxLive} mappings exist at once, dropped ones included: past that (a
 * client cycling through many files faster than collections run) files are streamed.
 */
final class MappedFiles {
  /** How long a mapping nobody serves from is kept. */
  static final Duration IDLE = Duration.ofMinutes(1);

  private record Mapping(Object fileKey, long size, FileTime modified, MappedByteBuffer buffer) {}

  private static final Logger log = LoggerFactory.getLogger(MappedFiles.class);

  private static final Cleaner unmapped = Cleaner.create();

  private final Cache<Path, Mapping> mappings;
  private final AtomicInteger live = new AtomicInteger();
  private final int maxLive;

  /**
   * @param maxWeight units: one per mapping plus one per MiB mapped (4096 keeps 4 GiB of address
   *     space)
   * @param maxLive mappings that may exist at once, those dropped but not yet unmapped included
   */
  MappedFiles(long maxWeight, int maxLive) {
    this.maxLive = maxLive;
    this.mappings =
        Caffeine.newBuilder()
            .maximumWeight(maxWeight)
            .weigher((Path path, Mapping m) -> 1 + (int) (m.size() >> 20))
            .expireAfterAccess(IDLE)
            .build();
  }

  /**
   * A read-only view of bytes {@code [offset, offset + length)} of {@code file}, or empty when the
   * file is gone, shorter than that, too large to map whole, or cannot be mapped now (then the
   * caller streams it).
   *
   * @throws IOException when the file's attributes cannot be read
   */
  Optional<ByteBuffer> slice(Path file, long offset, long length) throws IOException {
    BasicFileAttributes attributes;
    try {
      attributes = Files.readAttributes(file, BasicFileAttributes.class);
    } catch (NoSuchFileException gone) {
      mappings.invalidate(file); // let the collector unmap it and free the deleted file's blocks
      return Optional.empty();
    }
    long size = attributes.size();
    if (!attributes.isRegularFile()
        || size > Integer.MAX_VALUE
        || offset < 0
        || length < 0
        || offset + length > size) {
      return Optional.empty();
    }
    Object fileKey = Objects.requireNonNullElse(attributes.fileKey(), file);
    Mapping mapping = mappings.getIfPresent(file);
    if (mapping == null
        || !mapping.fileKey().equals(fileKey)
        || mapping.size() != size
        || !mapping.modified().equals(attributes.lastModifiedTime())) {
      mapping = map(file, fileKey, size, attributes.lastModifiedTime());
      if (mapping == null) {
        return Optional.empty();
      }
      mappings.put(file, mapping);
    }
    return Optional.of(mapping.buffer().slice((int) offset, (int) length));
  }

  private @Nullable Mapping map(Path file, Object fileKey, long size, FileTime modified) {
    if (live.get() >= maxLive) {
      return null;
    }
    try (FileChannel channel = FileChannel.open(file, StandardOpenOption.READ)) {
      if (channel.size() != size) {
        return null; // replaced between the stat and the open: stream it this time
      }
      MappedByteBuffer buffer = channel.map(FileChannel.MapMode.READ_ONLY, 0, size);
      live.incrementAndGet();
      AtomicInteger count = live;
      unmapped.register(buffer, count::decrementAndGet);
      return new Mapping(fileKey, size, modified, buffer);
    } catch (NoSuchFileException gone) {
      return null;
    } catch (IOException e) {
      // out of address space or mappings (vm.max_map_count): the caller streams the file instead
      log.debug("Could not map {}: {}", file, e.toString());
      return null;
    }
  }

  /** Mappings that exist now: kept ones, and dropped ones the collector has not unmapped yet. */
  int live() {
    return live.get();
  }
}
