package org.mxmedia.thumbnail;

import java.awt.AlphaComposite;
import java.awt.Graphics2D;
import java.awt.image.BufferedImage;
import java.io.IOException;
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
import org.mxmedia.ThumbnailSpec;
import org.mxmedia.spi.GeneratedThumbnail;
import org.mxmedia.spi.ImageInfo;
import org.w3c.dom.Node;

/**
 * Animated GIF thumbnails: each frame is composed on the logical screen (honouring offsets and
 * disposal), reduced to every target, and written as a full frame with its original delay.
 * Frames are streamed: memory is the screen and the outputs' current frames, whatever the
 * frame count. At most {@link ImageIoThumbnailer#MAX_FRAMES} frames and {@code maxPixels}
 * composed pixels in total are processed.
 */
final class AnimatedGif {
  private static final String IMAGE_FORMAT = "javax_imageio_gif_image_1.0";

  private AnimatedGif() {}

  static List<GeneratedThumbnail> generate(Path source, ImageInfo info, List<ThumbnailSpec> specs, long maxPixels, Path dir)
      throws IOException {
    int frames = Math.min(info.frameCount(), ImageIoThumbnailer.MAX_FRAMES);
    long perFrame = info.pixels();
    frames = (int) Math.max(1, Math.min(frames, maxPixels / Math.max(1, perFrame)));
    List<ImageWriter> writers = new ArrayList<>();
    List<ImageOutputStream> outputs = new ArrayList<>();
    List<GeneratedThumbnail> result = new ArrayList<>();
    try (ImageInputStream in = ImageIO.createImageInputStream(source.toFile())) {
      ImageReader reader = ImageIoThumbnailer.readerFor(in).orElseThrow(() -> new IOException("no GIF reader"));
      try {
        reader.setInput(in, false, false);
        for (int i = 0; i < specs.size(); i++) {
          Path file = dir.resolve("animated-" + i + ".gif");
          ImageWriter writer = ImageIO.getImageWritersByFormatName("gif").next();
          ImageOutputStream out = ImageIO.createImageOutputStream(Files.newOutputStream(file));
          writer.setOutput(out);
          writer.prepareWriteSequence(null);
          writers.add(writer);
          outputs.add(out);
          ThumbnailSpec s = specs.get(i);
          result.add(new GeneratedThumbnail(s, s.width(), s.height(), "image/gif", file));
        }
        BufferedImage screen = new BufferedImage(info.width(), info.height(), BufferedImage.TYPE_INT_ARGB);
        for (int f = 0; f < frames; f++) {
          BufferedImage frame;
          IIOMetadata meta;
          try {
            frame = reader.read(f);
            meta = reader.getImageMetadata(f);
          } catch (IndexOutOfBoundsException e) {
            break;
          }
          int[] offset = frameOffset(meta);
          String disposal = attribute(meta, "GraphicControlExtension", "disposalMethod", "none");
          int delay = Integer.parseInt(attribute(meta, "GraphicControlExtension", "delayTime", "10"));
          BufferedImage previous = disposal.equals("restoreToPrevious") ? copy(screen) : null;
          Graphics2D g = screen.createGraphics();
          g.drawImage(frame, offset[0], offset[1], null);
          g.dispose();
          for (int i = 0; i < specs.size(); i++) {
            BufferedImage thumb = ImageIoThumbnailer.render(screen, specs.get(i));
            writers.get(i).writeToSequence(new IIOImage(thumb, null, frameMetadata(writers.get(i), thumb, delay, f == 0)), null);
          }
          if (disposal.equals("restoreToBackgroundColor")) {
            Graphics2D clear = screen.createGraphics();
            clear.setComposite(AlphaComposite.Clear);
            clear.fillRect(offset[0], offset[1], frame.getWidth(), frame.getHeight());
            clear.dispose();
          } else if (previous != null) {
            screen = previous;
          }
        }
        for (ImageWriter w : writers) {
          w.endWriteSequence();
        }
      } finally {
        reader.dispose();
      }
    } finally {
      for (ImageOutputStream out : outputs) {
        out.close();
      }
      writers.forEach(ImageWriter::dispose);
    }
    return result;
  }

  /** The frame's position on the logical screen. */
  static int[] frameOffset(IIOMetadata meta) {
    return new int[] {
      Integer.parseInt(attribute(meta, "ImageDescriptor", "imageLeftPosition", "0")),
      Integer.parseInt(attribute(meta, "ImageDescriptor", "imageTopPosition", "0"))
    };
  }

  private static String attribute(IIOMetadata meta, String nodeName, String attribute, String fallback) {
    Node root = meta.getAsTree(IMAGE_FORMAT);
    for (Node n = root.getFirstChild(); n != null; n = n.getNextSibling()) {
      if (n.getNodeName().equals(nodeName)) {
        String v = ((IIOMetadataNode) n).getAttribute(attribute);
        return v == null || v.isEmpty() ? fallback : v;
      }
    }
    return fallback;
  }

  /** Full-frame metadata: the source delay, each frame replacing the last, looping forever. */
  private static IIOMetadata frameMetadata(ImageWriter writer, BufferedImage image, int delay, boolean first) throws IOException {
    ImageWriteParam param = writer.getDefaultWriteParam();
    IIOMetadata meta = writer.getDefaultImageMetadata(ImageTypeSpecifier.createFromRenderedImage(image), param);
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
