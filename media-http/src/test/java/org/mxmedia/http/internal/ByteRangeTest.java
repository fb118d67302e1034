package org.mxmedia.http.internal;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.mxmedia.http.internal.ByteRange.Full;
import org.mxmedia.http.internal.ByteRange.Partial;
import org.mxmedia.http.internal.ByteRange.Unsatisfiable;

/** RFC 9110's single byte ranges, including the edges of empty and one-byte representations. */
class ByteRangeTest {

  private static ByteRange.Result parse(String header, long length) {
    return ByteRange.parse(Optional.of(header), length);
  }

  @Test
  void suffixRanges() {
    assertThat(parse("bytes=-5", 10)).isEqualTo(new Partial(new ByteRange(5, 9)));
    assertThat(parse("bytes=-50", 10)).isEqualTo(new Partial(new ByteRange(0, 9)));
    assertThat(parse("bytes=-0", 10)).isEqualTo(new Unsatisfiable());
  }

  @Test
  void aSuffixRangeOfAnEmptyRepresentationIsSatisfiedByTheWholeOfIt() {
    // RFC 9110 14.1.1: a non-zero suffix-length is the one satisfiable range of zero bytes
    assertThat(parse("bytes=-5", 0)).isEqualTo(new Full());
    assertThat(parse("bytes=-0", 0)).isEqualTo(new Unsatisfiable());
    assertThat(parse("bytes=0-", 0)).isEqualTo(new Unsatisfiable());
  }

  @Test
  void firstAndLastPositions() {
    assertThat(parse("bytes=2-4", 10)).isEqualTo(new Partial(new ByteRange(2, 4)));
    assertThat(parse("bytes=2-", 10)).isEqualTo(new Partial(new ByteRange(2, 9)));
    assertThat(parse("bytes=2-400", 10)).isEqualTo(new Partial(new ByteRange(2, 9)));
    assertThat(parse("bytes=10-", 10)).isEqualTo(new Unsatisfiable());
    assertThat(parse("bytes=4-2", 10)).isEqualTo(new Full());
    assertThat(parse("bytes=0-0", 1)).isEqualTo(new Partial(new ByteRange(0, 0)));
  }

  @Test
  void whatIsNotUnderstoodIsIgnored() {
    assertThat(ByteRange.parse(Optional.empty(), 10)).isEqualTo(new Full());
    assertThat(parse("items=0-1", 10)).isEqualTo(new Full());
    assertThat(parse("bytes=0-1,3-4", 10)).isEqualTo(new Full());
    assertThat(parse("bytes=-", 10)).isEqualTo(new Full());
    assertThat(parse("bytes=99999999999999999999-", 10)).isEqualTo(new Full());
  }
}
