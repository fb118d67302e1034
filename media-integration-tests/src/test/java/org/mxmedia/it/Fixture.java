package org.mxmedia.it;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.SplittableRandom;
import java.util.TreeSet;
import java.util.function.UnaryOperator;
import java.util.stream.Stream;
import org.mxmedia.MediaRepository;
import org.mxmedia.MediaRepository.DownloadOptions;
import org.mxmedia.MediaRepository.MediaResponse;
import org.mxmedia.MediaRepository.UploadRequest;
import org.mxmedia.MxcUri;
import org.mxmedia.UserId;
import org.mxmedia.spi.MediaIdGenerator;
import org.mxmedia.spi.MediaStore;
import org.mxmedia.storage.fs.FileSystemStorage;
import org.mxmedia.testkit.DrivenScheduler;

/** A repository over real file storage in a temporary directory, with a clock tests control. */
final class Fixture implements AutoCloseable {
  static final UserId ALICE = UserId.of("@alice:example.org");
  static final UserId BOB = UserId.of("@bob:example.org");

  final Path root;
  final MediaStore store;
  final FileSystemStorage storage;
  final MutableClock clock = new MutableClock(Instant.parse("2026-03-01T12:00:00Z"));

  /** Runs the repository's background work when a test says so ({@code runPeriodicTasks}). */
  final DrivenScheduler scheduler = new DrivenScheduler();

  final MediaRepository repo;

  Fixture(Path root) {
    this(root, MediaStore.inMemory(), b -> b);
  }

  Fixture(Path root, MediaStore store, UnaryOperator<MediaRepository.Builder> customize) {
    this(root, store, MediaIdGenerator.randomLetters(new SplittableRandom(7), 24), customize);
  }

  /** A repository whose media ids come from {@code ids} (the builder takes each part once). */
  Fixture(
      Path root,
      MediaStore store,
      MediaIdGenerator ids,
      UnaryOperator<MediaRepository.Builder> customize) {
    this.root = root;
    this.store = store;
    this.storage = FileSystemStorage.at(root);
    this.repo =
        customize
            .apply(
                MediaRepository.builder()
                    .serverName("example.org")
                    .mediaStore(store)
                    .storage(storage)
                    .clock(clock)
                    .scheduler(scheduler)
                    .mediaIdGenerator(ids))
            .build();
  }

  MxcUri upload(String text) {
    return upload(text.getBytes(StandardCharsets.UTF_8), UploadRequest.of("text/plain"));
  }

  MxcUri upload(byte[] bytes, UploadRequest request) {
    return repo.upload(ALICE, request, new ByteArrayInputStream(bytes));
  }

  byte[] download(MxcUri uri) throws IOException {
    try (MediaResponse r = repo.download(uri, DownloadOptions.defaults());
        InputStream in = r.content().openStream()) {
      return in.readAllBytes();
    }
  }

  /** Every file under the storage root, as relative paths. */
  TreeSet<String> files() throws IOException {
    try (Stream<Path> s = Files.walk(root)) {
      TreeSet<String> result = new TreeSet<>();
      s.filter(Files::isRegularFile).forEach(p -> result.add(root.relativize(p).toString()));
      return result;
    }
  }

  List<String> stagingFiles() throws IOException {
    try (Stream<Path> s = Files.list(root.resolve("tmp"))) {
      return s.map(Path::toString).toList();
    }
  }

  @Override
  public void close() {
    repo.close();
    scheduler.shutdownNow();
  }
}
