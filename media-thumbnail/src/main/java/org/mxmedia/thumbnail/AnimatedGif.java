package org.mxmedia.thumbnail;

import java.awt.AlphaComposite;
import java.awt.Graphics2D;
import java.awt.image.BufferedImage;
import java.io.Closeable;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import javax.imageio.IIOImage;
import javax.imageio.ImageIO;
import javax.imageio.ImageReader;
import javax.imageio.ImageTypeSpecifier;
import javax.imageio.ImageWriteParam;
import javax.imageio.ImageWriter;
import javax.imageio.metadata.IIOMetadata;
import javax.imageio.metadata.IIOMetadataNode;
import javax.imageio.stream.ImageInputStream;
import javax.imageio.stream.ImageOutputStream;
import javax.imageio.stream.MemoryCacheImageOutputStream;
import org.mxmedia.ThumbnailSpec;
import org.mxmedia.spi.Thumbnailer.GeneratedThumbnail;
import org.mxmedia.spi.Thumbnailer.ImageInfo;
import org.w3c.dom.Node;

/**
 * Animated GIF thumbnails: each frame is composed on the logical screen (honouring offsets and
 * disposal), reduced to every target, and written as a full frame with its original delay. Frames
 * are streamed: memory is the screen and the outputs' current frames, whatever the frame count.
 *
 * <p>Bounds, enforced before the first frame is decoded (from {@link GifStructure}) and again from
 * ImageIO's own reading of each frame's descriptor just before that frame is decoded: each frame's
 * declared size and offset must lie within the screen ({@code info.width() x info.height()}, which
 * the caller has checked against {@code maxPixels}), so a decoded frame is never larger than the
 * screen; at most {@link ImageIoThumbnailer#MAX_FRAMES} complete frames are used, and no more than
 * {@code maxPixels / screen pixels}, so the pixels decoded and the pixels composed over the whole
 * animation are each at most {@code maxPixels}. A frame that does not fit its screen fails the
 * whole thumbnail with an {@link IOException}, as does a file whose screen is larger than {@code
 * info} says.
 */
final class AnimatedGif {
  private static final String IMAGE_FORMAT = "javax_imageio_gif_image_1.0";

  private AnimatedGif() {}

  static List<GeneratedThumbnail> generate(
      Path source, ImageInfo info, List<ThumbnailSpec> specs, long maxPixels, Path dir)
      throws IOException {
    GifStructure gif = GifStructure.read(source, ImageIoThumbnailer.MAX_FRAMES);
    int[] canvas = gif.canvas();
    if (canvas[0] > info.width() || canvas[1] > info.height()) {
      throw new IOException(
          "GIF is " + canvas[0] + "x" + canvas[1] + ", larger than its header said");
    }
    // frames decoded and composed: complete ones only, at most MAX_FRAMES, and maxPixels in all
    long frames =
        Math.min(Math.min(gif.completeFrames(), info.frameCount()), ImageIoThumbnailer.MAX_FRAMES);
    frames = Math.max(1, Math.min(frames, maxPixels / info.pixels()));
    for (int f = 0; f < frames && f < gif.frames().size(); f++) {
      GifStructure.Frame d = gif.frames().get(f);
      if (!d.fitsIn(info.width(), info.height())) {
        throw outsideScreen(f, d.width(), d.height(), d.left(), d.top(), info);
      }
    }
    List<GeneratedThumbnail> result = new ArrayList<>();
    try (Outputs outputs = new Outputs();
        ImageInputStream in = gif.openForImageIo()) {
      ImageReader reader =
          ImageIoThumbnailer.readerFor(in).orElseThrow(() -> new IOException("no GIF reader"));
      try {
        reader.setInput(in, false, true);
        for (int i = 0; i < specs.size(); i++) {
          Path file = dir.resolve("animated-" + i + ".gif");
          outputs.add(Output.open(file));
          ThumbnailSpec s = specs.get(i);
          result.add(new GeneratedThumbnail(s, s.width(), s.height(), "image/gif", file));
        }
        BufferedImage screen =
            new BufferedImage(info.width(), info.height(), BufferedImage.TYPE_INT_ARGB);
        for (int f = 0; f < frames; f++) {
          Descriptor d;
          try {
            d =
                Descriptor.of(
                    reader.getImageMetadata(f)); // the descriptor only: no pixel is decoded
          } catch (IndexOutOfBoundsException e) {
            break;
          }
          if (!d.fitsIn(info.width(), info.height())) {
            throw outsideScreen(
                f,
                d.width(),
                d.height(),
                d.left(),
                d.top(),
                info); // ImageIO read this GIF differently
          }
          BufferedImage frame = reader.read(f);
          if (frame.getWidth() != d.width() || frame.getHeight() != d.height()) {
            throw new IOException(
                "GIF frame "
                    + f
                    + " decoded as "
                    + frame.getWidth()
                    + "x"
                    + frame.getHeight()
                    + ", not the "
                    + d.width()
                    + "x"
                    + d.height()
                    + " it declared");
          }
          BufferedImage previous = d.disposal().equals("restoreToPrevious") ? copy(screen) : null;
          Graphics2D g = screen.createGraphics();
          g.drawImage(frame, d.left(), d.top(), null);
          g.dispose();
          for (int i = 0; i < specs.size(); i++) {
            BufferedImage thumb = ImageIoThumbnailer.render(screen, specs.get(i));
            ImageWriter writer = outputs.get(i).writer;
            writer.writeToSequence(
                new IIOImage(thumb, null, frameMetadata(writer, thumb, d.delay(), f == 0)), null);
          }
          if (d.disposal().equals("restoreToBackgroundColor")) {
            Graphics2D clear = screen.createGraphics();
            clear.setComposite(AlphaComposite.Clear);
            clear.fillRect(d.left(), d.top(), d.width(), d.height());
            clear.dispose();
          } else if (previous != null) {
            screen = previous;
          }
        }
        for (int i = 0; i < specs.size(); i++) {
          outputs.get(i).writer.endWriteSequence();
        }
      } finally {
        reader.dispose();
      }
    }
    return result;
  }

  /**
   * One animated output: the file, ImageIO's stream on it and the GIF writer. {@link #close} closes
   * the stream (flushing it into the file), then the file (ImageIO's stream does not close it),
   * then disposes of the writer, whatever fails on the way.
   */
  private static final class Output implements Closeable {
    final ImageWriter writer;
    private final OutputStream file;
    private final ImageOutputStream stream;

    private Output(ImageWriter writer, OutputStream file, ImageOutputStream stream) {
      this.writer = writer;
      this.file = file;
      this.stream = stream;
    }

    /** Creates {@code path} and prepares a GIF sequence on it; nothing stays open if that fails. */
    static Output open(Path path) throws IOException {
      ImageWriter writer = ImageIO.getImageWritersByFormatName("gif").next();
      OutputStream file;
      try {
        file = Files.newOutputStream(path);
      } catch (IOException | RuntimeException e) {
        writer.dispose();
        throw e;
      }
      Output out = new Output(writer, file, new MemoryCacheImageOutputStream(file));
      try {
        writer.setOutput(out.stream);
        writer.prepareWriteSequence(null);
        return out;
      } catch (IOException | RuntimeException e) {
        try {
          out.close();
        } catch (IOException | RuntimeException suppressed) {
          e.addSuppressed(suppressed);
        }
        throw e;
      }
    }

    @Override
    @SuppressWarnings("try") // the resources are only closed here
    public void close() throws IOException {
      try (OutputStream f = file;
          ImageOutputStream s = stream) {
        // closed in reverse order: the stream, then the file
      } finally {
        writer.dispose();
      }
    }
  }

  /**
   * The outputs opened so far; closing closes every one, keeping the first failure and suppressing
   * the rest.
   */
  private static final class Outputs implements Closeable {
    private final List<Output> opened = new ArrayList<>();

    void add(Output output) {
      opened.add(output);
    }

    Output get(int index) {
      return opened.get(index);
    }

    @Override
    public void close() throws IOException {
      Exception failure = null;
      for (Output o : opened) {
        try {
          o.close();
        } catch (IOException | RuntimeException e) {
          if (failure == null) {
            failure = e;
          } else {
            failure.addSuppressed(e);
          }
        }
      }
      if (failure instanceof IOException e) {
        throw e;
      }
      if (failure instanceof RuntimeException e) {
        throw e;
      }
    }
  }

  /** The frame's position on the logical screen. */
  static int[] frameOffset(IIOMetadata meta) {
    Descriptor d = Descriptor.of(meta);
    return new int[] {d.left(), d.top()};
  }

  /**
   * A frame as its image descriptor and graphic control extension declare it, read from the
   * reader's metadata (which the GIF reader fills without decoding pixels), so it can be checked
   * before the frame is decoded.
   *
   * @param left the offset from the screen's left edge, in pixels
   * @param top the offset from the screen's top edge, in pixels
   * @param width the declared width in pixels
   * @param height the declared height in pixels
   * @param disposal the disposal method's name in the GIF metadata format
   * @param delay the delay before the next frame, in hundredths of a second
   */
  record Descriptor(int left, int top, int width, int height, String disposal, int delay) {
    static Descriptor of(IIOMetadata meta) {
      Node root = meta.getAsTree(IMAGE_FORMAT);
      return new Descriptor(
          Integer.parseInt(attribute(root, "ImageDescriptor", "imageLeftPosition", "0")),
          Integer.parseInt(attribute(root, "ImageDescriptor", "imageTopPosition", "0")),
          Integer.parseInt(attribute(root, "ImageDescriptor", "imageWidth", "0")),
          Integer.parseInt(attribute(root, "ImageDescriptor", "imageHeight", "0")),
          attribute(root, "GraphicControlExtension", "disposalMethod", "none"),
          Integer.parseInt(attribute(root, "GraphicControlExtension", "delayTime", "10")));
    }

    /**
     * Whether the frame lies within a {@code screenWidth x screenHeight} screen, with at least one
     * pixel.
     */
    boolean fitsIn(int screenWidth, int screenHeight) {
      // each value is an unsigned 16-bit field, so the sums cannot overflow
      return width >= 1
          && height >= 1
          && left + width <= screenWidth
          && top + height <= screenHeight;
    }
  }

  private static IOException outsideScreen(
      int index, int width, int height, int left, int top, ImageInfo screen) {
    return new IOException(
        "GIF frame "
            + index
            + " ("
            + width
            + "x"
            + height
            + " at "
            + left
            + ","
            + top
            + ") does not fit its "
            + screen.width()
            + "x"
            + screen.height()
            + " screen");
  }

  private static String attribute(Node root, String nodeName, String attribute, String fallback) {
    for (Node n = root.getFirstChild(); n != null; n = n.getNextSibling()) {
      if (n.getNodeName().equals(nodeName)) {
        String v = ((IIOMetadataNode) n).getAttribute(attribute);
        return v == null || v.isEmpty() ? fallback : v;
      }
    }
    return fallback;
  }

  /** Full-frame metadata: the source delay, each frame replacing the last, looping forever. */
  private static IIOMetadata frameMetadata(
      ImageWriter writer, BufferedImage image, int delay, boolean first) throws IOException {
    ImageWriteParam param = writer.getDefaultWriteParam();
    IIOMetadata meta =
        writer.getDefaultImageMetadata(ImageTypeSpecifier.createFromRenderedImage(image), param);
    IIOMetadataNode root = (IIOMetadataNode) meta.getAsTree(IMAGE_FORMAT);
    IIOMetadataNode gce = child(root, "GraphicControlExtension");
    gce.setAttribute("disposalMethod", "restoreToBackgroundColor");
    gce.setAttribute("userInputFlag", "FALSE");
    gce.setAttribute("delayTime", Integer.toString(Math.max(0, delay)));
    if (gce.getAttribute("transparentColorFlag").isEmpty()) {
      gce.setAttribute("transparentColorFlag", "FALSE");
      gce.setAttribute("transparentColorIndex", "0");
    }
    if (first) {
      IIOMetadataNode apps = child(root, "ApplicationExtensions");
      IIOMetadataNode app = new IIOMetadataNode("ApplicationExtension");
      app.setAttribute("applicationID", "NETSCAPE");
      app.setAttribute("authenticationCode", "2.0");
      app.setUserObject(new byte[] {1, 0, 0});
      apps.appendChild(app);
    }
    meta.setFromTree(IMAGE_FORMAT, root);
    return meta;
  }

  private static IIOMetadataNode child(IIOMetadataNode root, String name) {
    for (Node n = root.getFirstChild(); n != null; n = n.getNextSibling()) {
      if (n.getNodeName().equals(name)) {
        return (IIOMetadataNode) n;
      }
    }
    IIOMetadataNode node = new IIOMetadataNode(name);
    root.appendChild(node);
    return node;
  }

  private static BufferedImage copy(BufferedImage image) {
    BufferedImage c = new BufferedImage(image.getWidth(), image.getHeight(), image.getType());
    Graphics2D g = c.createGraphics();
    g.drawImage(image, 0, 0, null);
    g.dispose();
    return c;
  }
}
