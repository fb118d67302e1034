package org.mxmedia.it;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Invariant 3, measured: a 200 MiB upload, a 200 MiB remote fetch and a 200 MiB download each
 * succeed in a JVM with a 64 MiB heap ({@link LargeFileMain}, forked with {@code -Xmx64m} and
 * {@code -XX:+ExitOnOutOfMemoryError}), with every byte accounted for: the count and SHA-256 of
 * what the generator sent, what the repository recorded, and what a download streamed out.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
class LargeFileMemoryTest {
  private static final long FORK_SECONDS = 90;
  private static String expected;

  @TempDir Path dir;

  /**
   * The size and SHA-256 of the generated file, computed here (outside the child and the engine).
   */
  @BeforeAll
  static void hashTheFileOnce() throws IOException {
    LargeFileMain.Generated generated =
        new LargeFileMain.Generated(LargeFileMain.SEED, LargeFileMain.SIZE);
    byte[] buffer = new byte[64 * 1024];
    while (generated.read(buffer, 0, buffer.length) >= 0) {
      // hashed as it is read
    }
    expected = generated.produced() + " " + generated.sha256Hex();
    assertThat(generated.produced()).isEqualTo(200L * 1024 * 1024);
  }

  /** What a child printed and how it ended. */
  private record Child(int exitCode, List<String> lines) {
    String value(String key) {
      return lines.stream()
          .filter(l -> l.startsWith(key + " "))
          .map(l -> l.substring(key.length() + 1))
          .findFirst()
          .orElseThrow(
              () -> new AssertionError("no '" + key + "' line in:\n" + String.join("\n", lines)));
    }
  }

  private Child runInA64MiBHeap(String mode) throws Exception {
    String classpath =
        System.getProperty("surefire.test.class.path", System.getProperty("java.class.path"));
    Process p =
        new ProcessBuilder(
                Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Xmx64m",
                "-XX:+ExitOnOutOfMemoryError",
                "-XX:+UseSerialGC",
                "-Djava.awt.headless=true",
                "-Dorg.slf4j.simpleLogger.defaultLogLevel=warn",
                "-cp",
                classpath,
                LargeFileMain.class.getName(),
                mode,
                dir.toString())
            .redirectErrorStream(true)
            .start();
    CompletableFuture<String> output =
        CompletableFuture.supplyAsync(
            () -> {
              try (InputStream in = p.getInputStream()) {
                ByteArrayOutputStream out = new ByteArrayOutputStream();
                in.transferTo(out);
                return out.toString(StandardCharsets.UTF_8);
              } catch (IOException e) {
                return "(output unreadable: " + e + ")";
              }
            });
    if (!p.waitFor(FORK_SECONDS, TimeUnit.SECONDS)) {
      p.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
      throw new AssertionError(
          mode
              + " did not finish within "
              + FORK_SECONDS
              + " s:\n"
              + output.get(10, TimeUnit.SECONDS));
    }
    List<String> lines = new ArrayList<>(output.get(10, TimeUnit.SECONDS).lines().toList());
    System.out.println(
        "forked "
            + mode
            + ": "
            + lines.stream().filter(l -> l.startsWith("peak")).findFirst().orElse(""));
    return new Child(p.exitValue(), lines);
  }

  private static void assertExitedCleanly(Child child) {
    assertThat(child.exitCode())
        .as("exit code (3 is an OutOfMemoryError); output:\n%s", String.join("\n", child.lines()))
        .isZero();
  }

  @Test
  void a200MiBUploadSucceedsInA64MiBHeap() throws Exception {
    Child child = runInA64MiBHeap("upload");

    assertExitedCleanly(child);
    assertThat(child.value("generated")).isEqualTo(expected);
    assertThat(child.value("stored"))
        .as("size and SHA-256 the repository recorded")
        .isEqualTo(expected);
    assertThat(child.value("ondisk")).isEqualTo(Long.toString(LargeFileMain.SIZE));
  }

  @Test
  void a200MiBRemoteFetchSucceedsInA64MiBHeap() throws Exception {
    Child child = runInA64MiBHeap("fetch");

    assertExitedCleanly(child);
    assertThat(child.value("generated")).as("what the origin sent").isEqualTo(expected);
    assertThat(child.value("stored")).as("the cached copy's size and SHA-256").isEqualTo(expected);
    assertThat(child.value("served"))
        .as("what a download of the copy streamed")
        .isEqualTo(expected);
    assertThat(child.value("fetches")).isEqualTo("1");
  }

  @Test
  void a200MiBDownloadStreamsInA64MiBHeap() throws Exception {
    Child child = runInA64MiBHeap("download");

    assertExitedCleanly(child);
    assertThat(child.value("stored")).isEqualTo(expected);
    assertThat(child.value("served"))
        .as("what MediaContent.transferTo streamed")
        .isEqualTo(expected);
  }
}
