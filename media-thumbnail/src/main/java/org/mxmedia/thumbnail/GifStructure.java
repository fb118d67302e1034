package org.mxmedia.thumbnail;

import java.io.BufferedInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * The block structure of a GIF, read without decoding pixels or keeping extension data: the
 * logical screen and the image descriptors of the first frames. The file is read once,
 * sequentially, through one 8 KiB buffer; sub-blocks (pixel data, comments, application data)
 * are skipped, never held. Memory is constant apart from the descriptors asked for, and reading
 * stops after the last of those, however many frames follow.
 *
 * <p>ImageIO's GIF reader is not used for this: counting frames with it keeps a position per
 * frame for the whole file, and its metadata reader copies comment and application extensions
 * whole.
 */
final class GifStructure {
  private static final int IMAGE = 0x2C;
  private static final int EXTENSION = 0x21;
  private static final int TRAILER = 0x3B;

  /**
   * One image descriptor.
   *
   * @param left the offset from the screen's left edge, in pixels (0 to 65535)
   * @param top the offset from the screen's top edge, in pixels (0 to 65535)
   * @param width the declared width in pixels (0 to 65535)
   * @param height the declared height in pixels (0 to 65535)
   * @param complete whether the frame's pixel data ends with its block terminator, rather than the file ending first
   */
  record Frame(int left, int top, int width, int height, boolean complete) {
    /** Whether the frame lies within a {@code screenWidth x screenHeight} screen, with at least one pixel. */
    boolean fitsIn(int screenWidth, int screenHeight) {
      return width >= 1 && height >= 1 && left + width <= screenWidth && top + height <= screenHeight;
    }
  }

  private final int screenWidth;
  private final int screenHeight;
  private final List<Frame> frames;

  private GifStructure(int screenWidth, int screenHeight, List<Frame> frames) {
    this.screenWidth = screenWidth;
    this.screenHeight = screenHeight;
    this.frames = List.copyOf(frames);
  }

  /**
   * Reads the header of {@code file} and the descriptors of its first frames, at most
   * {@code maxFrames} of them. Reading stops at the trailer, at the end of the file, at a block
   * that is not a GIF block (where ImageIO's reader would fail too), or once {@code maxFrames}
   * frames are read. A frame whose pixel data the file cuts off is listed, marked incomplete, and
   * is the last one.
   *
   * @param maxFrames the most descriptors to read, at least 1
   * @throws IOException when the file cannot be read, does not start with a GIF signature, or
   *     ends within its header
   */
  static GifStructure read(Path file, int maxFrames) throws IOException {
    if (maxFrames < 1) {
      throw new IllegalArgumentException("maxFrames must be at least 1: " + maxFrames);
    }
    try (InputStream raw = Files.newInputStream(file); InputStream in = new BufferedInputStream(raw, 8192)) {
      byte[] signature = in.readNBytes(6);
      String s = new String(signature, java.nio.charset.StandardCharsets.ISO_8859_1);
      if (!s.equals("GIF87a") && !s.equals("GIF89a")) {
        throw new IOException("not a GIF");
      }
      int width;
      int height;
      try {
        width = u16(in);
        height = u16(in);
        int packed = u8(in);
        in.skipNBytes(2); // background colour, aspect ratio
        if ((packed & 0x80) != 0) {
          in.skipNBytes(3L << ((packed & 7) + 1)); // global colour table
        }
      } catch (EOFException e) {
        throw new IOException("GIF header is truncated", e);
      }
      List<Frame> frames = new ArrayList<>(Math.min(maxFrames, 256));
      try {
        while (frames.size() < maxFrames) {
          int block = u8(in);
          if (block == IMAGE) {
            int left = u16(in);
            int top = u16(in);
            int w = u16(in);
            int h = u16(in);
            int packed = u8(in);
            if ((packed & 0x80) != 0) {
              in.skipNBytes(3L << ((packed & 7) + 1)); // local colour table
            }
            u8(in); // LZW minimum code size
            frames.add(new Frame(left, top, w, h, false));
            skipSubBlocks(in);
            frames.set(frames.size() - 1, new Frame(left, top, w, h, true));
          } else if (block == EXTENSION) {
            u8(in); // label
            skipSubBlocks(in);
          } else {
            break; // the trailer, or something ImageIO's reader would not read past either
          }
        }
      } catch (EOFException e) {
        // the file ends early: the frames read so far are what there is
      }
      return new GifStructure(width, height, frames);
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
    return frames.isEmpty() || frames.get(frames.size() - 1).complete() ? frames.size() : frames.size() - 1;
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

  private static void skipSubBlocks(InputStream in) throws IOException {
    for (int length = u8(in); length > 0; length = u8(in)) {
      in.skipNBytes(length);
    }
  }

  private static int u8(InputStream in) throws IOException {
    int b = in.read();
    if (b < 0) {
      throw new EOFException();
    }
    return b;
  }

  private static int u16(InputStream in) throws IOException {
    return u8(in) | (u8(in) << 8);
  }
}
