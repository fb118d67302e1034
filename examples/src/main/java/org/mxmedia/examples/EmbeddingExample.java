package org.mxmedia.examples;

import java.io.ByteArrayInputStream;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.mxmedia.MediaRepository;
import org.mxmedia.MediaRepository.DownloadOptions;
import org.mxmedia.MediaRepository.MediaResponse;
import org.mxmedia.MediaRepository.UploadRequest;
import org.mxmedia.MxcUri;
import org.mxmedia.UserId;
import org.mxmedia.spi.MediaStore;
import org.mxmedia.storage.fs.FileSystemStorage;

/**
 * The smallest embedding of mxmedia: build a repository, upload a file, download it again.
 *
 * <p>Usage: {@code EmbeddingExample [FILE]} (default: this class's own source text).
 */
public final class EmbeddingExample {
  private EmbeddingExample() {}

  public static void main(String[] args) throws Exception {
    Path dataDir = Files.createTempDirectory("mxmedia-embedding");
    try (MediaRepository repo =
        MediaRepository.builder()
            .serverName("example.org")
            .mediaStore(MediaStore.inMemory())
            .storage(FileSystemStorage.at(dataDir))
            .build()) {
      UserId alice = UserId.of("@alice:example.org");
      MxcUri uri;
      if (args.length > 0) {
        Path file = Path.of(args[0]);
        try (InputStream in = Files.newInputStream(file)) {
          uri =
              repo.upload(
                  alice,
                  UploadRequest.empty()
                      .withFileName(file.getFileName().toString())
                      .withDeclaredLength(Files.size(file)),
                  in);
        }
      } else {
        uri =
            repo.upload(
                alice,
                UploadRequest.of("text/plain").withFileName("hello.txt"),
                new ByteArrayInputStream(
                    "Hello, Matrix media!\n".getBytes(StandardCharsets.UTF_8)));
      }
      System.out.println("Uploaded " + uri);
      try (MediaResponse media = repo.download(uri, DownloadOptions.defaults())) {
        System.out.println("Content-Type: " + media.contentTypeHeader());
        System.out.println("Content-Disposition: " + media.contentDispositionHeader());
        System.out.println(
            "ETag: "
                + media.etag()
                + ", "
                + media.contentLength()
                + " bytes, stored under "
                + dataDir);
      }
    }
  }
}
