package org.mxmedia.benchmarks;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.jsoup.Jsoup;
import org.jsoup.nodes.Document;
import org.mxmedia.preview.internal.PageParser;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * A 1 MiB page ({@link BenchmarkPages#realistic}) to its preview properties with the preview parser
 * (charset choice, streaming scan, OpenGraph and fallbacks), against {@code Jsoup.parse} of the
 * same bytes, the floor: the preview parser is jsoup plus its own work. Run with {@code -prof gc}
 * for allocation per operation.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(
    value = 1,
    jvmArgs = {"-Xmx1g"})
public class PreviewParseBenchmark {
  private static final String BASE = "https://news.example/article/1";

  private byte[] page;

  @Setup
  public void setUp() {
    page = BenchmarkPages.realistic(1 << 20);
  }

  @Benchmark
  public PageParser.Parsed previewParser() throws IOException {
    return PageParser.parse(new ByteArrayInputStream(page), Optional.of("utf-8"), BASE);
  }

  @Benchmark
  public Document jsoupParse() throws IOException {
    return Jsoup.parse(new ByteArrayInputStream(page), "UTF-8", BASE);
  }
}
