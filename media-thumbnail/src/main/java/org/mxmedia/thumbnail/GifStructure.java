package org.mxmedia.thumbnail;

import java.io.BufferedInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import javax.imageio.stream.ImageInputStream;

/**
 * The block structure of a GIF, read without decoding pixels or keeping extension data: the logical
 * screen and the image descriptors of the first frames. The file is read once, sequentially,
 * through one 8 KiB buffer; sub-blocks (pixel data, comments, application data) are skipped, never
 * held. Memory is constant apart from the frames asked for, and reading stops after the last of
 * those, however many frames follow.
 *
 * <p>ImageIO's GIF reader is not given the file itself but {@link #openForImageIo()}: the same file
 * with every extension left out except one well-formed graphic control extension per frame. That
 * reader keeps a position per frame for the whole file when counting frames, and copies every
 * comment, application and plain-text extension into a new array at each 255-byte sub-block
 * (quadratic in its size) whether or not metadata is ignored; and it parses a graphic control
 * extension of another size than 4 differently from the block structure, so the frames it decodes
 * could differ from the frames checked here. On the view, both read the same frames.
 */
final class GifStructure {
  private static final int IMAGE = 0x2C;
  private static final int EXTENSION = 0x21;
  private static final int GRAPHIC_CONTROL = 0xF9;
  private static final int GRAPHIC_CONTROL_LENGTH = 8;

  /**
   * One frame: its image descriptor and where its blocks are in the file.
   *
   * @param left the offset from the screen's left edge, in pixels (0 to 65535)
   * @param top the offset from the screen's top edge, in pixels (0 to 65535)
   * @param width the declared width in pixels (0 to 65535)
   * @param height the declared height in pixels (0 to 65535)
   * @param complete whether the frame's pixel data ends with its block terminator, rather than the
   *     file ending first
   * @param control the file offset of the frame's graphic control extension (8 bytes, well formed),
   *     or -1 when it has none
   * @param start the file offset of the image descriptor
   * @param end the file offset just after the frame's pixel data, or the file's length when it is
   *     incomplete
   */
  record Frame(
      int left,
      int top,
      int width,
      int height,
      boolean complete,
      long control,
      long start,
      long end) {
    /**
     * Whether the frame lies within a {@code screenWidth x screenHeight} screen, with at least one
     * pixel.
     */
    boolean fitsIn(int screenWidth, int screenHeight) {
      return width >= 1
          && height >= 1
          && left + width <= screenWidth
          && top + height <= screenHeight;
    }
  }

  private final Path file;
  private final int screenWidth;
  private final int screenHeight;
  private final long headerLength;
  private final List<Frame> frames;

  private GifStructure(
      Path file, int screenWidth, int screenHeight, long headerLength, List<Frame> frames) {
    this.file = file;
    this.screenWidth = screenWidth;
    this.screenHeight = screenHeight;
    this.headerLength = headerLength;
    this.frames = List.copyOf(frames);
  }

  /**
   * Reads the header of {@code file} and its first frames, at most {@code maxFrames} of them.
   * Reading stops at the trailer, at the end of the file, at a block that is not a GIF block (where
   * ImageIO's reader would fail too), or once {@code maxFrames} frames are read. A frame whose
   * pixel data the file cuts off is listed, marked incomplete, and is the last one.
   *
   * @param maxFrames the most frames to read, at least 1
   * @throws IOException when the file cannot be read, does not start with a GIF signature, or ends
   *     within its header
   */
  static GifStructure read(Path file, int maxFrames) throws IOException {
    if (maxFrames < 1) {
      throw new IllegalArgumentException("maxFrames must be at least 1: " + maxFrames);
    }
    long fileLength = Files.size(file);
    try (Input in = new Input(Files.newInputStream(file))) {
      byte[] signature = in.bytes(6);
      String s = new String(signature, StandardCharsets.ISO_8859_1);
      if (!s.equals("GIF87a") && !s.equals("GIF89a")) {
        throw new IOException("not a GIF");
      }
      int width;
      int height;
      try {
        width = in.u16();
        height = in.u16();
        int packed = in.u8();
        in.skip(2); // background colour, aspect ratio
        if ((packed & 0x80) != 0) {
          in.skip(3L << ((packed & 7) + 1)); // global colour table
        }
      } catch (EOFException e) {
        throw new IOException("GIF header is truncated", e);
      }
      long headerLength = in.position();
      List<Frame> frames = new ArrayList<>(Math.min(maxFrames, 256));
      long control = -1;
      try {
        while (frames.size() < maxFrames) {
          long blockStart = in.position();
          int block = in.u8();
          if (block == IMAGE) {
            int left = in.u16();
            int top = in.u16();
            int w = in.u16();
            int h = in.u16();
            int packed = in.u8();
            if ((packed & 0x80) != 0) {
              in.skip(3L << ((packed & 7) + 1)); // local colour table
            }
            in.u8(); // LZW minimum code size
            frames.add(new Frame(left, top, w, h, false, control, blockStart, fileLength));
            in.skipSubBlocks();
            frames.set(
                frames.size() - 1,
                new Frame(left, top, w, h, true, control, blockStart, in.position()));
            control = -1;
          } else if (block == EXTENSION) {
            int label = in.u8();
            int firstLength = in.u8();
            if (label == GRAPHIC_CONTROL && firstLength == 4) {
              in.skip(4);
              int next = in.u8();
              control =
                  next == 0
                      ? blockStart
                      : -1; // ImageIO reads exactly this shape; any other is dropped
              if (next != 0) {
                in.skip(next);
                in.skipSubBlocks();
              }
            } else {
              if (label == GRAPHIC_CONTROL) {
                control = -1;
              }
              if (firstLength > 0) {
                in.skip(firstLength);
                in.skipSubBlocks();
              }
            }
          } else {
            break; // the trailer, or something ImageIO's reader would not read past either
          }
        }
      } catch (EOFException e) {
        // the file ends early: the frames read so far are what there is
      }
      return new GifStructure(file, width, height, headerLength, frames);
    }
  }

  /**
   * Whether {@code file} starts with a GIF signature.
   *
   * @throws IOException when the file cannot be read
   */
  static boolean isGif(Path file) throws IOException {
    try (InputStream in = Files.newInputStream(file)) {
      String s = new String(in.readNBytes(6), StandardCharsets.ISO_8859_1);
      return s.equals("GIF87a") || s.equals("GIF89a");
    }
  }

  /** The logical screen's width from the header, in pixels (0 to 65535). */
  int screenWidth() {
    return screenWidth;
  }

  /** The logical screen's height from the header, in pixels (0 to 65535). */
  int screenHeight() {
    return screenHeight;
  }

  /** The frames read, in file order: at most the number asked for. */
  List<Frame> frames() {
    return frames;
  }

  /** The number of frames read whose pixel data is complete. */
  int completeFrames() {
    return frames.isEmpty() || frames.get(frames.size() - 1).complete()
        ? frames.size()
        : frames.size() - 1;
  }

  /**
   * The canvas frames are drawn on, in pixels: the logical screen, widened to the first frame's
   * size where that is larger (as browsers draw such GIFs).
   *
   * @throws IOException when the GIF has no frame
   */
  int[] canvas() throws IOException {
    if (frames.isEmpty()) {
      throw new IOException("GIF has no image");
    }
    Frame first = frames.get(0);
    return new int[] {Math.max(screenWidth, first.width()), Math.max(screenHeight, first.height())};
  }

  /**
   * The file as ImageIO's GIF reader should see it: the header and global colour table, then for
   * each frame read its graphic control extension (if well formed) and its image blocks; no other
   * extension, and nothing after the last frame read. The caller closes it.
   *
   * @throws IOException when the file cannot be opened
   */
  ImageInputStream openForImageIo() throws IOException {
    List<long[]> ranges = new ArrayList<>(1 + 2 * frames.size());
    ranges.add(new long[] {0, headerLength});
    for (Frame f : frames) {
      if (f.control() >= 0) {
        ranges.add(new long[] {f.control(), GRAPHIC_CONTROL_LENGTH});
      }
      ranges.add(new long[] {f.start(), f.end() - f.start()});
    }
    return new SplicedImageInputStream(file, ranges);
  }

  /** A little-endian byte reader that knows its position. */
  private static final class Input implements AutoCloseable {
    private final InputStream in;
    private long position;

    Input(InputStream raw) {
      this.in = new BufferedInputStream(raw, 8192);
    }

    long position() {
      return position;
    }

    byte[] bytes(int n) throws IOException {
      byte[] b = in.readNBytes(n);
      position += b.length;
      return b;
    }

    int u8() throws IOException {
      int b = in.read();
      if (b < 0) {
        throw new EOFException();
      }
      position++;
      return b;
    }

    int u16() throws IOException {
      return u8() | (u8() << 8);
    }

    void skip(long n) throws IOException {
      in.skipNBytes(n);
      position += n;
    }

    /** Skips sub-blocks up to and including the zero-length terminator. */
    void skipSubBlocks() throws IOException {
      for (int length = u8(); length > 0; length = u8()) {
        skip(length);
      }
    }

    @Override
    public void close() throws IOException {
      in.close();
    }
  }
}
