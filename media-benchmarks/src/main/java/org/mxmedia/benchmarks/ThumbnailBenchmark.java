package org.mxmedia.benchmarks;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.mxmedia.MediaConfig;
import org.mxmedia.ThumbnailSpec;
import org.mxmedia.spi.Thumbnailer.GeneratedThumbnail;
import org.mxmedia.spi.Thumbnailer.ImageInfo;
import org.mxmedia.thumbnail.ImageIoThumbnailer;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * The five spec-recommended thumbnails of one 12 MP image (4000x3000), JPEG and PNG: one decode,
 * five encodes, per operation. Run with {@code -prof gc} for allocation. The input is {@code
 * -Dmxmedia.bench.dir}/photo.{jpg,png} (written by {@link BenchmarkImages}; the script writes it
 * once so Pillow and libvips read the same file), or made in setup when absent.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 3, time = 5)
@Measurement(iterations = 5, time = 5)
@Fork(
    value = 1,
    jvmArgs = {"-Xmx1g", "-Djava.awt.headless=true"})
public class ThumbnailBenchmark {

  @Param({"jpg", "png"})
  public String format;

  private final ImageIoThumbnailer thumbnailer = new ImageIoThumbnailer();
  private Path source;
  private Path out;
  private ImageInfo info;
  private List<ThumbnailSpec> specs;

  @Setup(Level.Trial)
  public void setUp() throws Exception {
    Path dir =
        Path.of(
            System.getProperty(
                "mxmedia.bench.dir", System.getProperty("java.io.tmpdir") + "/mxmedia-bench"));
    source = dir.resolve("photo." + format);
    if (!Files.exists(source)) {
      BenchmarkImages.main(new String[] {dir.toString(), "4000", "3000", "photo"});
    }
    String type = format.equals("jpg") ? "image/jpeg" : "image/png";
    info = thumbnailer.probe(source, type).orElseThrow();
    specs = BenchmarkImages.specTargets(info.displayWidth(), info.displayHeight());
    out = Files.createTempDirectory("mxmedia-bench-out");
  }

  @Benchmark
  public List<GeneratedThumbnail> fiveSpecSizes() throws IOException {
    return thumbnailer.generate(source, info, specs, MediaConfig.defaults().maxImagePixels(), out);
  }

  @TearDown(Level.Trial)
  public void tearDown() throws IOException {
    try (Stream<Path> files = Files.walk(out)) {
      files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
    }
  }
}
