package org.mxmedia.thumbnail;

import java.awt.AlphaComposite;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.geom.AffineTransform;
import java.awt.image.BufferedImage;
import java.awt.image.SampleModel;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import javax.imageio.IIOImage;
import javax.imageio.ImageIO;
import javax.imageio.ImageReadParam;
import javax.imageio.ImageReader;
import javax.imageio.ImageTypeSpecifier;
import javax.imageio.ImageWriteParam;
import javax.imageio.ImageWriter;
import javax.imageio.stream.ImageInputStream;
import javax.imageio.stream.ImageOutputStream;
import javax.imageio.stream.MemoryCacheImageOutputStream;
import org.jspecify.annotations.Nullable;
import org.mxmedia.ThumbnailSpec;
import org.mxmedia.ThumbnailSpec.ThumbnailMethod;
import org.mxmedia.spi.Thumbnailer;
import org.mxmedia.spi.Thumbnailer.GeneratedThumbnail;
import org.mxmedia.spi.Thumbnailer.ImageInfo;

/**
 * Thumbnails with ImageIO and the TwelveMonkeys plugins: JPEG (including CMYK/YCCK and
 * progressive), PNG (palette, 16-bit, transparency), GIF (still and animated), WebP, BMP (not those
 * holding an embedded JPEG or PNG) and TIFF. Anything else (SVG, HTML, ...) is refused by {@link
 * #probe}, never rendered.
 *
 * <p>Memory follows the output, not the input: {@link #probe} reads headers only (at most 4 MiB of
 * them, 1 MiB for TIFF); before decoding, the pixel limit, a longest side of 65,535 pixels and at
 * most 64 bits a pixel are checked, against the decoder's own reading of the header too; large
 * images are decoded subsampled to about twice the largest target, then reduced by 2x2 box halving
 * while at least twice each target remains, and a final Lanczos-3 step from the bytes of the
 * decoded raster (animated thumbnails: repeated halving and a bicubic step). Common PNGs
 * (non-interlaced 8- and 16-bit grey, RGB, with alpha, and palettes) are decoded by a streaming
 * decoder that box-averages while it inflates, so they are never held at full size; other PNGs go
 * through ImageIO. Output is sRGB, EXIF orientation applied, with no metadata: PNG for sources with
 * transparency and for GIFs, JPEG (quality 80) otherwise, animated GIF for animated requests of
 * animated GIFs. Every file and stream opened is closed, and every reader and writer disposed,
 * before a call returns. Thread-safe.
 */
public final class ImageIoThumbnailer implements Thumbnailer {

  /** The formats accepted, by ImageIO format name. */
  private static final Set<String> FORMATS = Set.of("jpeg", "png", "gif", "webp", "bmp", "tiff");

  private static final Map<String, String> FORMAT_ALIASES =
      Map.of("jpg", "jpeg", "tif", "tiff", "wbmp", "bmp");

  /** The most frames an animated thumbnail keeps. */
  static final int MAX_FRAMES = 200;

  /**
   * The longest side decoded, in pixels: the largest a JPEG or GIF can be. The pixel limit alone
   * lets a 32,000,000 x 1 image through, and decoders allocate whole rows (the PNG reader two, at
   * up to 8 bytes a pixel) whatever the subsampling.
   */
  static final int MAX_SIDE = 65_535;

  /**
   * The most bytes a plugin may read while reading a header, in probe and before decoding. Some
   * read metadata whole (every JPEG segment before the image data, every TIFF directory, a BMP's
   * declared palette); normal headers, EXIF, XMP and ICC profiles included, are far smaller.
   */
  static final long MAX_HEADER_BYTES = 4L << 20;

  /**
   * The same for TIFF, whose TwelveMonkeys reader keeps about ten times what it reads of its
   * directories; strip and tile tables and a thousand pages fit with room to spare.
   */
  static final long MAX_TIFF_HEADER_BYTES = 1L << 20;

  /**
   * The most bits a decoded pixel may have: 16-bit RGBA, the most a PNG can be. The pixel limit
   * counts pixels; a TIFF can give each dozens of samples of up to 64 bits.
   */
  static final int MAX_BITS_PER_PIXEL = 64;

  private static final float JPEG_QUALITY = 0.8f;

  static {
    ImageIO.setUseCache(false); // no disk cache: streams are files already
  }

  /** A thumbnailer with the defaults above. */
  public ImageIoThumbnailer() {}

  /**
   * {@inheritDoc}
   *
   * <p>Reads the format's header only, and at most 4 MiB of it (1 MiB for TIFF): some plugins read
   * metadata whole (every JPEG segment before the image data, every TIFF directory), so a file with
   * more header than that is refused rather than read. For a GIF, reads its block structure up to
   * the descriptor of frame 201, skipping pixel data and extensions without holding them, so a GIF
   * with more frames than an animated thumbnail keeps (200) reports 201 frames. A GIF's size is its
   * logical screen, widened to its first frame where that is larger.
   *
   * @throws IOException when the bytes claim an accepted format but its header is unreadable or
   *     larger than 4 MiB (1 MiB for TIFF)
   */
  @Override
  public Optional<ImageInfo> probe(Path source, String contentType) throws IOException {
    String type = contentType.toLowerCase(Locale.ROOT);
    if (!type.startsWith("image/") || type.startsWith("image/svg")) {
      return Optional.empty();
    }
    try (ReadBudgetImageInputStream in =
        ReadBudgetImageInputStream.open(source, MAX_HEADER_BYTES)) {
      try {
        return probe(source, in);
      } catch (IOException | RuntimeException e) {
        if (in.exceeded()) {
          throw headerTooLarge(in, e);
        }
        throw e;
      }
    } catch (IOException | RuntimeException e) {
      throw new IOException("unreadable image header: " + e.getMessage(), e);
    }
  }

  private static Optional<ImageInfo> probe(Path source, ReadBudgetImageInputStream in)
      throws IOException {
    Optional<ImageReader> found = readerFor(in);
    if (found.isEmpty()) {
      return Optional.empty();
    }
    ImageReader reader = found.get();
    try {
      String format = format(reader);
      in.limit(headerBudget(format));
      int width;
      int height;
      int frames = 1;
      if (format.equals("gif")) {
        GifStructure gif = GifStructure.read(source, MAX_FRAMES + 1);
        int[] canvas = gif.canvas();
        width = canvas[0];
        height = canvas[1];
        frames = Math.max(1, gif.completeFrames());
      } else {
        reader.setInput(in, true, true);
        width = reader.getWidth(0);
        height = reader.getHeight(0);
        if (in.exceeded()) {
          throw headerTooLarge(in, null); // the plugin swallowed the failed read
        }
      }
      int orientation = format.equals("jpeg") ? ExifOrientation.of(source) : 1;
      if (width < 1 || height < 1) {
        return Optional.empty();
      }
      return Optional.of(new ImageInfo(width, height, format, frames, orientation));
    } finally {
      reader.dispose();
    }
  }

  /**
   * The bits a pixel of the image the reader will decode into (its first image type, which {@code
   * ImageReader.read} uses), from the header; 0 when the reader offers no type.
   */
  private static int bitsPerPixel(ImageReader reader) throws IOException {
    Iterator<ImageTypeSpecifier> types = reader.getImageTypes(0);
    if (!types.hasNext()) {
      return 0;
    }
    SampleModel model = types.next().getSampleModel();
    int bits = 0;
    for (int band = 0; band < model.getNumBands(); band++) {
      bits += model.getSampleSize(band);
    }
    return bits;
  }

  /**
   * Whether the reader decodes into an 8-bit {@code TYPE_3BYTE_BGR} or {@code TYPE_4BYTE_ABGR}
   * image, as for 8-bit RGB(A) PNGs.
   */
  private static boolean isEightBitRgb(ImageReader reader) throws IOException {
    Iterator<ImageTypeSpecifier> types = reader.getImageTypes(0);
    if (!types.hasNext()) {
      return false;
    }
    int type = types.next().getBufferedImageType();
    return type == BufferedImage.TYPE_3BYTE_BGR || type == BufferedImage.TYPE_4BYTE_ABGR;
  }

  /** The most header bytes read from an image in {@code format}. */
  private static long headerBudget(String format) {
    return format.equals("tiff") ? MAX_TIFF_HEADER_BYTES : MAX_HEADER_BYTES;
  }

  private static IOException headerTooLarge(
      ReadBudgetImageInputStream in, @Nullable Throwable cause) {
    return new IOException("image has more than " + in.budget() + " bytes of header", cause);
  }

  /**
   * {@inheritDoc}
   *
   * <p>Refused before decoding, with an {@link IOException}: more than {@code maxPixels} pixels in
   * {@code info}, a side longer than 65,535 pixels, more than 64 bits a pixel, a header over the
   * budget {@link #probe} describes, a BMP holding an embedded JPEG or PNG or more RLE data than
   * its pixels can need, a WebP whose first frame declares more than its canvas, a GIF frame
   * outside its screen. The decoder's own reading of the header is checked against {@code info}
   * before any pixel is decoded. Animated GIFs keep at most 200 frames and compose at most {@code
   * maxPixels} pixels over all of them.
   *
   * @throws IOException when the image is refused as above, or is corrupt or truncated
   */
  @Override
  public List<GeneratedThumbnail> generate(
      Path source, ImageInfo info, List<ThumbnailSpec> specs, long maxPixels, Path outputDirectory)
      throws IOException {
    if (info.pixels() > maxPixels) {
      throw new IOException("image has " + info.pixels() + " pixels, more than " + maxPixels);
    }
    if (info.width() > MAX_SIDE || info.height() > MAX_SIDE) {
      throw new IOException(
          "image is "
              + info.width()
              + "x"
              + info.height()
              + ", more than "
              + MAX_SIDE
              + " pixels on a side");
    }
    List<ThumbnailSpec> still = new ArrayList<>();
    List<ThumbnailSpec> animated = new ArrayList<>();
    for (ThumbnailSpec spec : specs) {
      if (spec.animated() && info.isAnimated() && info.format().equals("gif")) {
        animated.add(spec);
      } else {
        still.add(spec);
      }
    }
    List<GeneratedThumbnail> out = new ArrayList<>();
    try {
      if (!still.isEmpty()) {
        out.addAll(generateStill(source, info, still, maxPixels, outputDirectory));
      }
      if (!animated.isEmpty()) {
        out.addAll(AnimatedGif.generate(source, info, animated, maxPixels, outputDirectory));
      }
    } catch (IOException e) {
      throw e;
    } catch (RuntimeException | OutOfMemoryError e) {
      // decoders throw unchecked exceptions on corrupt input; a lying header may try to allocate
      // too much
      throw new IOException("cannot decode image: " + e, e);
    }
    return out;
  }

  private List<GeneratedThumbnail> generateStill(
      Path source, ImageInfo info, List<ThumbnailSpec> specs, long maxPixels, Path dir)
      throws IOException {
    BufferedImage decoded =
        info.format().equals("png")
            ? PngReducer.decode(
                source, subsampling(info, specs), info.width(), info.height(), maxPixels)
            : null;
    if (decoded == null) {
      decoded = decodeFirstFrame(source, info, specs, maxPixels);
    }
    boolean alpha = decoded.getColorModel().hasAlpha();
    BufferedImage image = Resampler.standard(decoded, alpha);
    if (image != decoded) {
      decoded.flush();
    }
    int orientation = info.orientation() >= 1 && info.orientation() <= 8 ? info.orientation() : 1;
    boolean swap = orientation >= 5;
    List<Level> levels = new ArrayList<>();
    for (BufferedImage level : pyramid(image, specs, swap)) {
      levels.add(new Level(level, REDUCING_GAP));
    }
    boolean png = alpha || info.format().equals("gif");
    // largest first, so each scaled thumbnail can be the source of the smaller ones
    List<Integer> order = new ArrayList<>();
    for (int i = 0; i < specs.size(); i++) {
      order.add(i);
    }
    order.sort(
        (x, y) ->
            Long.compare(
                (long) specs.get(y).width() * specs.get(y).height(),
                (long) specs.get(x).width() * specs.get(x).height()));
    GeneratedThumbnail[] made = new GeneratedThumbnail[specs.size()];
    for (int i : order) {
      ThumbnailSpec spec = specs.get(i);
      BufferedImage stored = render(image, levels, spec, swap);
      if (spec.method() != ThumbnailMethod.CROP) {
        levels.add(
            new Level(
                stored,
                1)); // Lanczos output keeps its detail: it may be reduced again at any ratio
      }
      BufferedImage thumb = orient(stored, orientation);
      Path file = dir.resolve("thumb-" + i + (png ? ".png" : ".jpg"));
      if (png) {
        writePng(thumb, file);
      } else {
        writeJpeg(thumb, file);
      }
      made[i] =
          new GeneratedThumbnail(
              spec, thumb.getWidth(), thumb.getHeight(), png ? "image/png" : "image/jpeg", file);
    }
    return List.of(made);
  }

  /**
   * An image a thumbnail may be resampled from: the decode, a box halving of it, or a scaled
   * thumbnail, with how much larger than the target it must be.
   */
  private record Level(BufferedImage image, int gap) {}

  /**
   * How much larger than its target a thumbnail's source region stays after box halving: the final
   * Lanczos step then reduces by at least this much, as Pillow's {@code reducing_gap} (whose
   * default this is). With less, the blur of the box shows: SSIM against a one-step Lanczos
   * reference falls to 0.93 for a 4:3 photo at 640x480.
   */
  private static final int REDUCING_GAP = 2;

  /**
   * The decoded image and its 2x2-box halvings, down to the smallest that still holds every spec's
   * region at {@link #REDUCING_GAP} times the spec's size or more.
   */
  private static List<BufferedImage> pyramid(
      BufferedImage image, List<ThumbnailSpec> specs, boolean swap) {
    List<BufferedImage> levels = new ArrayList<>();
    levels.add(image);
    BufferedImage level = image;
    while (level.getWidth() >= 2 && level.getHeight() >= 2) {
      int w = level.getWidth() / 2;
      int h = level.getHeight() / 2;
      boolean servesAll = true;
      for (ThumbnailSpec spec : specs) {
        double[] r = region(image.getWidth(), image.getHeight(), spec, swap);
        int tw = swap ? spec.height() : spec.width();
        int th = swap ? spec.width() : spec.height();
        if (r[2] * w / image.getWidth() < (double) REDUCING_GAP * tw
            || r[3] * h / image.getHeight() < (double) REDUCING_GAP * th) {
          servesAll = false;
          break;
        }
      }
      if (!servesAll) {
        break;
      }
      level = Resampler.halve(level);
      levels.add(level);
    }
    return levels;
  }

  /**
   * The source region of a spec in stored (not display) orientation, {@code {x, y, width, height}}:
   * the whole image to scale, the largest centred region of the spec's aspect ratio to crop. A
   * centred region stays centred under every EXIF orientation, so only its sides swap.
   */
  private static double[] region(int width, int height, ThumbnailSpec spec, boolean swap) {
    if (spec.method() != ThumbnailMethod.CROP) {
      return new double[] {0, 0, width, height};
    }
    int[] display =
        cropRegion(swap ? height : width, swap ? width : height, spec.width(), spec.height());
    int rw = swap ? display[1] : display[0];
    int rh = swap ? display[0] : display[1];
    return new double[] {(double) ((width - rw) / 2), (double) ((height - rh) / 2), rw, rh};
  }

  /**
   * One thumbnail in stored orientation (sides swapped when {@code swap}): the spec's region of
   * {@code full} resampled from the smallest level that holds it at the level's gap times the
   * target or more ({@code full} itself when none does).
   */
  private static BufferedImage render(
      BufferedImage full, List<Level> levels, ThumbnailSpec spec, boolean swap) {
    double[] r = region(full.getWidth(), full.getHeight(), spec, swap);
    int tw = swap ? spec.height() : spec.width();
    int th = swap ? spec.width() : spec.height();
    BufferedImage from = full;
    for (Level level : levels) {
      BufferedImage candidate = level.image();
      double fx = (double) candidate.getWidth() / full.getWidth();
      double fy = (double) candidate.getHeight() / full.getHeight();
      if (r[2] * fx >= (double) level.gap() * tw
          && r[3] * fy >= (double) level.gap() * th
          && (long) candidate.getWidth() * candidate.getHeight()
              < (long) from.getWidth() * from.getHeight()) {
        from = candidate;
      }
    }
    double fx = (double) from.getWidth() / full.getWidth();
    double fy = (double) from.getHeight() / full.getHeight();
    return Resampler.resample(from, r[0] * fx, r[1] * fy, r[2] * fx, r[3] * fy, tw, th);
  }

  /**
   * Decodes the first frame, subsampled to about twice what the largest target needs. The header is
   * read under the same budget as in {@link #probe}, and checked against {@code info} and {@code
   * maxPixels}, before any pixel is decoded.
   */
  private BufferedImage decodeFirstFrame(
      Path source, ImageInfo info, List<ThumbnailSpec> specs, long maxPixels) throws IOException {
    try (ReadBudgetImageInputStream in = openForDecoding(source)) {
      try {
        return decodeFirstFrame(source, in, info, specs, maxPixels);
      } catch (IOException | RuntimeException e) {
        if (in.exceeded()) {
          throw headerTooLarge(in, e);
        }
        throw e;
      }
    }
  }

  private BufferedImage decodeFirstFrame(
      Path source,
      ReadBudgetImageInputStream in,
      ImageInfo info,
      List<ThumbnailSpec> specs,
      long maxPixels)
      throws IOException {
    ImageReader reader = readerFor(in).orElseThrow(() -> new IOException("no reader for image"));
    try {
      String format = format(reader);
      in.limit(headerBudget(format));
      reader.setInput(in, true, true);
      int sw = reader.getWidth(0);
      int sh = reader.getHeight(0);
      if (in.exceeded()) {
        throw headerTooLarge(in, null); // the plugin swallowed the failed read
      }
      if ((long) sw * sh > maxPixels || sw > info.width() || sh > info.height()) {
        throw new IOException("image decodes larger than its header said: " + sw + "x" + sh);
      }
      if (format.equals("bmp")) {
        BmpHeader.check(source, sw, sh);
      } else if (format.equals("webp")) {
        WebpHeader.check(source, sw, sh);
      }
      int bits = bitsPerPixel(reader);
      if (bits > MAX_BITS_PER_PIXEL) {
        throw new IOException(
            "image has " + bits + " bits a pixel, more than " + MAX_BITS_PER_PIXEL);
      }
      in.unlimit(); // the pixel data may be as large as the file
      int sub = subsampling(info, specs);
      ImageReadParam param = reader.getDefaultReadParam();
      // An 8-bit RGB(A) PNG halved: rows subsampled by the reader, columns averaged in place by
      // us. The reader copies whole rows of such an image into its own kind of raster, but
      // converts pixel by pixel when it subsamples columns (two thirds of its time in a
      // profile). Holding every other row at full width takes no more memory than the halved
      // decode plus the 32-bit copy it used to be converted into.
      boolean rowsOnly = sub == 2 && format.equals("png") && sw >= 2 && isEightBitRgb(reader);
      if (rowsOnly) {
        param.setSourceSubsampling(1, 2, 0, 0);
      } else if (sub > 1) {
        param.setSourceSubsampling(sub, sub, 0, 0);
      }
      BufferedImage image = reader.read(0, param);
      if (rowsOnly) {
        if (image.getWidth() > sw) {
          throw new IOException("decoded image is larger than its header said");
        }
        image = Resampler.halveWidthInPlace(image);
      }
      long expectedW = (sw + sub - 1) / sub;
      long expectedH = (sh + sub - 1) / sub;
      if (image.getWidth() > expectedW || image.getHeight() > expectedH) {
        throw new IOException("decoded image is larger than its header said");
      }
      if (info.format().equals("gif")
          && (image.getWidth() < info.width() / sub || image.getHeight() < info.height() / sub)) {
        image = placeOnScreen(reader, image, info, sub);
      }
      return image;
    } finally {
      reader.dispose();
    }
  }

  /**
   * The source as ImageIO should read it for a still thumbnail, limited to {@code MAX_HEADER_BYTES}
   * until the header is read: a GIF as its header and first frame only, without extensions ({@link
   * GifStructure#openForImageIo()}), anything else as it is.
   */
  private static ReadBudgetImageInputStream openForDecoding(Path source) throws IOException {
    if (GifStructure.isGif(source)) {
      return new ReadBudgetImageInputStream(
          GifStructure.read(source, 1).openForImageIo(), MAX_HEADER_BYTES);
    }
    return ReadBudgetImageInputStream.open(source, MAX_HEADER_BYTES);
  }

  /** A GIF frame smaller than its logical screen, drawn at its offset on a transparent screen. */
  private static BufferedImage placeOnScreen(
      ImageReader reader, BufferedImage frame, ImageInfo info, int sub) throws IOException {
    int[] offset = AnimatedGif.frameOffset(reader.getImageMetadata(0));
    BufferedImage screen =
        new BufferedImage(
            Math.max(1, info.width() / sub),
            Math.max(1, info.height() / sub),
            BufferedImage.TYPE_INT_ARGB);
    Graphics2D g = screen.createGraphics();
    g.drawImage(frame, offset[0] / sub, offset[1] / sub, null);
    g.dispose();
    return screen;
  }

  /**
   * The largest subsampling factor that keeps at least twice the pixels the most demanding target
   * needs.
   */
  static int subsampling(ImageInfo info, List<ThumbnailSpec> specs) {
    double minRatio = Double.MAX_VALUE;
    for (ThumbnailSpec spec : specs) {
      int[] region =
          spec.method() == ThumbnailMethod.CROP
              ? cropRegion(info.displayWidth(), info.displayHeight(), spec.width(), spec.height())
              : new int[] {info.displayWidth(), info.displayHeight()};
      minRatio =
          Math.min(
              minRatio,
              Math.min((double) region[0] / spec.width(), (double) region[1] / spec.height()));
    }
    return Math.max(1, (int) Math.floor(minRatio / 2));
  }

  static int[] cropRegion(int sw, int sh, int w, int h) {
    if ((long) sw * h > (long) sh * w) {
      return new int[] {(int) Math.max(1, Math.min(sw, Math.round((double) sh * w / h))), sh};
    }
    return new int[] {sw, (int) Math.max(1, Math.min(sh, Math.round((double) sw * h / w)))};
  }

  /** One thumbnail of an sRGB image in display orientation: crop or scale, then reduce. */
  static BufferedImage render(BufferedImage image, ThumbnailSpec spec) {
    BufferedImage region = image;
    if (spec.method() == ThumbnailMethod.CROP) {
      int[] r = cropRegion(image.getWidth(), image.getHeight(), spec.width(), spec.height());
      region =
          image.getSubimage(
              (image.getWidth() - r[0]) / 2, (image.getHeight() - r[1]) / 2, r[0], r[1]);
    }
    return resize(region, spec.width(), spec.height());
  }

  /**
   * Progressive halving (bilinear) while the image is at least twice the target, then one bicubic
   * step.
   */
  static BufferedImage resize(BufferedImage image, int width, int height) {
    BufferedImage current = image;
    int type =
        image.getColorModel().hasAlpha() ? BufferedImage.TYPE_INT_ARGB : BufferedImage.TYPE_INT_RGB;
    while (current.getWidth() / 2 >= width && current.getHeight() / 2 >= height) {
      current =
          draw(
              current,
              current.getWidth() / 2,
              current.getHeight() / 2,
              type,
              RenderingHints.VALUE_INTERPOLATION_BILINEAR);
    }
    if (current.getWidth() != width || current.getHeight() != height) {
      current = draw(current, width, height, type, RenderingHints.VALUE_INTERPOLATION_BICUBIC);
    } else if (current == image) {
      current =
          draw(
              current,
              width,
              height,
              type,
              RenderingHints.VALUE_INTERPOLATION_BILINEAR); // a copy, not a view
    }
    return current;
  }

  private static BufferedImage draw(
      BufferedImage src, int width, int height, int type, Object interpolation) {
    BufferedImage dst = new BufferedImage(width, height, type);
    Graphics2D g = dst.createGraphics();
    try {
      g.setRenderingHint(RenderingHints.KEY_INTERPOLATION, interpolation);
      g.setRenderingHint(RenderingHints.KEY_RENDERING, RenderingHints.VALUE_RENDER_QUALITY);
      g.setComposite(AlphaComposite.Src);
      g.drawImage(src, 0, 0, width, height, null);
    } finally {
      g.dispose();
    }
    return dst;
  }

  /** Applies an EXIF orientation (1 to 8). */
  static BufferedImage orient(BufferedImage image, int orientation) {
    if (orientation <= 1 || orientation > 8) {
      return image;
    }
    int w = image.getWidth();
    int h = image.getHeight();
    boolean swap = orientation >= 5;
    // maps source pixel edges to display pixel edges (AffineTransform(m00, m10, m01, m11, m02,
    // m12))
    AffineTransform t =
        switch (orientation) {
          case 2 -> new AffineTransform(-1, 0, 0, 1, w, 0); // mirror horizontally
          case 3 -> new AffineTransform(-1, 0, 0, -1, w, h); // rotate 180
          case 4 -> new AffineTransform(1, 0, 0, -1, 0, h); // mirror vertically
          case 5 -> new AffineTransform(0, 1, 1, 0, 0, 0); // transpose
          case 6 -> new AffineTransform(0, 1, -1, 0, h, 0); // rotate 90 clockwise
          case 7 -> new AffineTransform(0, -1, -1, 0, h, w); // transverse
          default -> new AffineTransform(0, -1, 1, 0, 0, w); // 8: rotate 90 counter-clockwise
        };
    BufferedImage out = new BufferedImage(swap ? h : w, swap ? w : h, image.getType());
    Graphics2D g = out.createGraphics();
    try {
      g.drawImage(image, t, null);
    } finally {
      g.dispose();
    }
    return out;
  }

  /**
   * Writes {@code image} to {@code file} as a JPEG of quality 0.8; the file is closed and the
   * writer disposed whatever happens.
   */
  static void writeJpeg(BufferedImage image, Path file) throws IOException {
    write(
        "jpeg",
        file,
        writer -> {
          ImageWriteParam param = writer.getDefaultWriteParam();
          param.setCompressionMode(ImageWriteParam.MODE_EXPLICIT);
          param.setCompressionQuality(JPEG_QUALITY);
          writer.write(null, new IIOImage(image, null, null), param);
        });
  }

  /**
   * Writes {@code image} to {@code file} as a PNG; the file is closed and the writer disposed
   * whatever happens.
   */
  static void writePng(BufferedImage image, Path file) throws IOException {
    write(
        "png",
        file,
        writer ->
            writer.write(null, new IIOImage(image, null, null), writer.getDefaultWriteParam()));
  }

  /**
   * Opens {@code file}, runs {@code body} with a {@code format} writer whose output is that file,
   * then closes the image stream (which flushes it), the file and the writer, on every path.
   * ImageIO's stream over an {@code OutputStream} does not close the {@code OutputStream}, so the
   * file is closed here rather than left to the garbage collector.
   */
  private static void write(String format, Path file, WriteBody body) throws IOException {
    ImageWriter writer = ImageIO.getImageWritersByFormatName(format).next();
    try (OutputStream os = Files.newOutputStream(file);
        ImageOutputStream out = new MemoryCacheImageOutputStream(os)) {
      writer.setOutput(out);
      body.write(writer);
    } finally {
      writer.dispose();
    }
  }

  /** What to do with a writer whose output is set. */
  @FunctionalInterface
  private interface WriteBody {
    void write(ImageWriter writer) throws IOException;
  }

  /**
   * The first reader for the stream's actual bytes (the content type is not trusted) whose format
   * is accepted.
   */
  static Optional<ImageReader> readerFor(ImageInputStream in) {
    Iterator<ImageReader> readers = ImageIO.getImageReaders(in);
    while (readers.hasNext()) {
      ImageReader reader = readers.next();
      try {
        if (FORMATS.contains(format(reader))) {
          return Optional.of(reader);
        }
      } catch (IOException e) {
        // skip
      }
      reader.dispose();
    }
    return Optional.empty();
  }

  static String format(ImageReader reader) throws IOException {
    String name = reader.getFormatName().toLowerCase(Locale.ROOT);
    return FORMAT_ALIASES.getOrDefault(name, name);
  }
}
