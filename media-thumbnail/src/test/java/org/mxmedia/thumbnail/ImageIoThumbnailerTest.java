package org.mxmedia.thumbnail;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.awt.Color;
import java.awt.Graphics2D;
import java.awt.Transparency;
import java.awt.color.ColorSpace;
import java.awt.image.BufferedImage;
import java.awt.image.ComponentColorModel;
import java.awt.image.DataBuffer;
import java.awt.image.IndexColorModel;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import javax.imageio.IIOImage;
import javax.imageio.ImageIO;
import javax.imageio.ImageReader;
import javax.imageio.ImageWriteParam;
import javax.imageio.ImageWriter;
import javax.imageio.metadata.IIOMetadataNode;
import javax.imageio.stream.ImageInputStream;
import javax.imageio.stream.ImageOutputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.mxmedia.ThumbnailSpec;
import org.mxmedia.spi.Thumbnailer;
import org.mxmedia.spi.Thumbnailer.GeneratedThumbnail;
import org.mxmedia.spi.Thumbnailer.ImageInfo;
import org.mxmedia.testkit.TestImages;
import org.mxmedia.testkit.ThumbnailerContract;

class ImageIoThumbnailerTest extends ThumbnailerContract {

  @Override
  protected Thumbnailer newThumbnailer() {
    return new ImageIoThumbnailer();
  }

  @Test
  void transparencyIsKeptAsPng() throws IOException {
    BufferedImage argb = new BufferedImage(200, 200, BufferedImage.TYPE_INT_ARGB);
    Graphics2D g = argb.createGraphics();
    g.setColor(new Color(255, 0, 0, 128));
    g.fillRect(0, 0, 100, 200);
    g.dispose();
    GeneratedThumbnail t =
        generate(
                file("alpha.png", TestImages.encode(argb, "png")),
                "image/png",
                List.of(ThumbnailSpec.scale(50, 50)))
            .get(0);
    assertThat(t.contentType()).isEqualTo("image/png");
    BufferedImage out = read(t.file());
    assertThat(out.getColorModel().hasAlpha()).isTrue();
    assertThat(new Color(out.getRGB(40, 25), true).getAlpha()).isZero();
    assertThat(new Color(out.getRGB(5, 25), true).getAlpha()).isBetween(100, 160);
  }

  @Test
  void opaqueSourcesGiveJpegAndGifSourcesGivePng() throws IOException {
    assertThat(
            generate(
                    file("a.jpg", TestImages.jpeg(200, 200)),
                    "image/jpeg",
                    List.of(ThumbnailSpec.crop(32, 32)))
                .get(0)
                .contentType())
        .isEqualTo("image/jpeg");
    assertThat(
            generate(
                    file("b.png", TestImages.png(200, 200)),
                    "image/png",
                    List.of(ThumbnailSpec.crop(32, 32)))
                .get(0)
                .contentType())
        .isEqualTo("image/jpeg");
    byte[] gif =
        TestImages.encode(TestImages.quadrants(200, 200, BufferedImage.TYPE_INT_RGB), "gif");
    assertThat(
            generate(file("c.gif", gif), "image/gif", List.of(ThumbnailSpec.crop(32, 32)))
                .get(0)
                .contentType())
        .isEqualTo("image/png");
  }

  @Test
  void sixteenBitAndPalettePngsAreConverted() throws IOException {
    BufferedImage grey16 = new BufferedImage(300, 200, BufferedImage.TYPE_USHORT_GRAY);
    Graphics2D g = grey16.createGraphics();
    g.setColor(Color.WHITE);
    g.fillRect(0, 0, 150, 200);
    g.dispose();
    GeneratedThumbnail t16 =
        generate(
                file("g16.png", TestImages.encode(grey16, "png")),
                "image/png",
                List.of(ThumbnailSpec.scale(30, 20)))
            .get(0);
    BufferedImage out16 = read(t16.file());
    assertThat(new Color(out16.getRGB(5, 10)).getRed()).isGreaterThan(240);
    assertThat(new Color(out16.getRGB(25, 10)).getRed()).isLessThan(15);

    byte[] r = {(byte) 255, 0};
    byte[] gr = {0, 0};
    byte[] b = {0, (byte) 255};
    byte[] a = {(byte) 255, 0};
    BufferedImage palette =
        new BufferedImage(
            100, 100, BufferedImage.TYPE_BYTE_INDEXED, new IndexColorModel(1, 2, r, gr, b, a));
    GeneratedThumbnail tp =
        generate(
                file("pal.png", TestImages.encode(palette, "png")),
                "image/png",
                List.of(ThumbnailSpec.scale(10, 10)))
            .get(0);
    assertThat(tp.contentType()).isEqualTo("image/png");
    assertThat(new Color(read(tp.file()).getRGB(5, 5), true)).isEqualTo(new Color(255, 0, 0, 255));
  }

  /** Orientations 1 to 8: where the stored top-left (red) quadrant ends up once displayed. */
  @ParameterizedTest
  @CsvSource({
    "1, 200, 100, 5, 5", "2, 200, 100, 195, 5", "3, 200, 100, 195, 95", "4, 200, 100, 5, 95",
    "5, 100, 200, 5, 5", "6, 100, 200, 95, 5", "7, 100, 200, 95, 195", "8, 100, 200, 5, 195"
  })
  void exifOrientationIsApplied(int orientation, int w, int h, int redX, int redY)
      throws IOException {
    Path source =
        file("o" + orientation + ".jpg", TestImages.jpegWithOrientation(200, 100, orientation));
    ImageInfo info = thumbnailer().probe(source, "image/jpeg").orElseThrow();
    assertThat(info.orientation()).isEqualTo(orientation);
    assertThat(info.displayWidth()).isEqualTo(w);
    GeneratedThumbnail t =
        thumbnailer()
            .generate(source, info, List.of(ThumbnailSpec.scale(w, h)), MAX_PIXELS, dir)
            .get(0);
    BufferedImage out = read(t.file());
    assertThat(out.getWidth()).isEqualTo(w);
    assertThat(out.getHeight()).isEqualTo(h);
    assertThat(TestImages.nearestQuadrantColour(out, redX, redY)).isEqualTo(TestImages.TOP_LEFT);
  }

  @Test
  void progressiveJpegsAreThumbnailed() throws IOException {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    ImageWriter writer = ImageIO.getImageWritersByFormatName("jpeg").next();
    try (ImageOutputStream out = ImageIO.createImageOutputStream(bytes)) {
      writer.setOutput(out);
      ImageWriteParam param = writer.getDefaultWriteParam();
      param.setProgressiveMode(ImageWriteParam.MODE_DEFAULT);
      writer.write(
          null,
          new IIOImage(TestImages.quadrants(400, 300, BufferedImage.TYPE_INT_RGB), null, null),
          param);
    } finally {
      writer.dispose();
    }
    BufferedImage out =
        read(
            generate(
                    file("progressive.jpg", bytes.toByteArray()),
                    "image/jpeg",
                    List.of(ThumbnailSpec.scale(200, 150)))
                .get(0)
                .file());
    assertThat(out.getWidth()).isEqualTo(200);
    assertThat(TestImages.nearestQuadrantColour(out, 10, 10)).isEqualTo(TestImages.TOP_LEFT);
  }

  /**
   * A CMYK JPEG (made with ImageMagick: {@code convert -size 100x50 xc:cyan -size 100x50 xc:yellow
   * +append -colorspace CMYK}, 629 bytes) comes out as sRGB with the right colours.
   */
  @Test
  void cmykJpegsAreConvertedToSrgb() throws IOException {
    byte[] cmyk;
    try (var in = getClass().getResourceAsStream("cmyk-cyan-yellow.jpg")) {
      cmyk = in.readAllBytes();
    }
    GeneratedThumbnail t =
        generate(file("cmyk.jpg", cmyk), "image/jpeg", List.of(ThumbnailSpec.scale(100, 25)))
            .get(0);
    assertThat(t.contentType()).isEqualTo("image/jpeg");
    BufferedImage out = read(t.file());
    Color left = new Color(out.getRGB(10, 12));
    Color right = new Color(out.getRGB(90, 12));
    assertThat(left.getRed()).as("cyan has little red: %s", left).isLessThan(100);
    assertThat(left.getBlue()).as("cyan is blue-ish: %s", left).isGreaterThan(150);
    assertThat(right.getBlue()).as("yellow has little blue: %s", right).isLessThan(100);
    assertThat(right.getRed()).as("yellow is red-ish: %s", right).isGreaterThan(150);
  }

  @Test
  void noMetadataIsCopiedIntoThumbnails() throws IOException {
    Path source = file("exif.jpg", TestImages.jpegWithOrientation(400, 300, 1));
    GeneratedThumbnail t =
        generate(source, "image/jpeg", List.of(ThumbnailSpec.scale(100, 75))).get(0);
    String bytes = new String(Files.readAllBytes(t.file()), StandardCharsets.ISO_8859_1);
    assertThat(bytes).doesNotContain("Exif");
  }

  @Test
  void aPixelFloodIsRefusedFromItsHeader() throws IOException {
    Path flood = file("flood.png", TestImages.pngClaiming(60_000, 60_000));
    assertThat(Files.size(flood)).isLessThan(2000);
    ImageInfo info = thumbnailer().probe(flood, "image/png").orElseThrow();
    assertThat(info.pixels()).isEqualTo(3_600_000_000L);
    assertThatThrownBy(
            () ->
                thumbnailer()
                    .generate(flood, info, List.of(ThumbnailSpec.crop(32, 32)), MAX_PIXELS, dir))
        .isInstanceOf(IOException.class)
        .hasMessageContaining("pixels");
  }

  /**
   * 32,000,000 x 1 pixels is within the pixel limit, but at 16-bit RGBA each row the PNG reader
   * keeps (it keeps two) is 256 MB, and an undecimated row as large: refused from the header for
   * being more than {@link ImageIoThumbnailer#MAX_SIDE} wide, having allocated next to nothing.
   */
  @Test
  void aVeryWideImageIsRefusedBeforeAnyRowIsAllocated() throws IOException {
    Path wide = file("wide.png", HostileImages.pngClaiming(32_000_000, 1, 16, 6));
    ImageInfo info = thumbnailer().probe(wide, "image/png").orElseThrow();
    assertThat(info.pixels()).isLessThanOrEqualTo(MAX_PIXELS);
    long before = AnimatedGifTest.allocatedBytes();
    assertThatThrownBy(
            () ->
                thumbnailer()
                    .generate(wide, info, List.of(ThumbnailSpec.scale(32, 1)), MAX_PIXELS, dir))
        .isInstanceOf(IOException.class)
        .hasMessageContaining("32000000x1")
        .hasMessageContaining("65535");
    assertThat(AnimatedGifTest.allocatedBytes() - before)
        .as("bytes allocated")
        .isLessThan(8L << 20);
  }

  /**
   * 4000x4000 is within the pixel limit, but at RGB and 13 extra samples of 16 bits each a pixel is
   * 32 bytes, and the destination even subsampled by 2 is 128 MB: refused from the reader's image
   * type before decoding, for having more than 64 bits a pixel.
   */
  @Test
  void anImageWithMoreThanSixtyFourBitsAPixelIsRefused() throws IOException {
    Path tiff = file("samples.tif", HostileImages.tiffClaiming(4000, 4000, 16, 16));
    ImageInfo info = thumbnailer().probe(tiff, "image/tiff").orElseThrow();
    long before = AnimatedGifTest.allocatedBytes();
    assertThatThrownBy(
            () ->
                thumbnailer()
                    .generate(tiff, info, List.of(ThumbnailSpec.scale(800, 800)), MAX_PIXELS, dir))
        .isInstanceOf(IOException.class)
        .hasMessageContaining("256 bits a pixel");
    assertThat(AnimatedGifTest.allocatedBytes() - before)
        .as("bytes allocated")
        .isLessThan(8L << 20);
  }

  /** 16-bit RGBA, the most a PNG can be (64 bits a pixel), is thumbnailed. */
  @Test
  void sixteenBitRgbaIsThumbnailed() throws IOException {
    ComponentColorModel model =
        new ComponentColorModel(
            ColorSpace.getInstance(ColorSpace.CS_sRGB),
            true,
            false,
            Transparency.TRANSLUCENT,
            DataBuffer.TYPE_USHORT);
    BufferedImage rgba16 =
        new BufferedImage(model, model.createCompatibleWritableRaster(120, 80), false, null);
    Graphics2D g = rgba16.createGraphics();
    g.setColor(Color.RED);
    g.fillRect(0, 0, 120, 80);
    g.dispose();
    GeneratedThumbnail t =
        generate(
                file("rgba16.png", TestImages.encode(rgba16, "png")),
                "image/png",
                List.of(ThumbnailSpec.scale(60, 40)))
            .get(0);
    assertThat(new Color(read(t.file()).getRGB(30, 20), true)).isEqualTo(Color.RED);
  }

  @Test
  void aGifWithAHugeScreenIsRefusedFromItsHeader() throws IOException {
    Path gif = file("screen.gif", TestImages.gifWithScreen(65535, 65535));
    ImageInfo info = thumbnailer().probe(gif, "image/gif").orElseThrow();
    assertThat(info.width()).isEqualTo(65535);
    assertThatThrownBy(
            () ->
                thumbnailer()
                    .generate(gif, info, List.of(ThumbnailSpec.crop(32, 32)), MAX_PIXELS, dir))
        .isInstanceOf(IOException.class);
  }

  @Test
  void aHeaderThatUnderstatesTheSizeIsCaught() throws IOException {
    Path source = file("real.png", TestImages.png(400, 400));
    ImageInfo lie = new ImageInfo(40, 40, "png", 1, 1);
    assertThatThrownBy(
            () ->
                thumbnailer()
                    .generate(source, lie, List.of(ThumbnailSpec.crop(32, 32)), MAX_PIXELS, dir))
        .isInstanceOf(IOException.class)
        .hasMessageContaining("larger than");
  }

  @Test
  void largeImagesAreDecodedSubsampled() {
    ImageInfo info = new ImageInfo(4000, 3000, "jpeg", 1, 1);
    assertThat(ImageIoThumbnailer.subsampling(info, List.of(ThumbnailSpec.scale(800, 600))))
        .isEqualTo(2);
    assertThat(ImageIoThumbnailer.subsampling(info, List.of(ThumbnailSpec.crop(32, 32))))
        .isEqualTo(46);
    assertThat(
            ImageIoThumbnailer.subsampling(
                info, List.of(ThumbnailSpec.crop(32, 32), ThumbnailSpec.scale(800, 600))))
        .isEqualTo(2);
    assertThat(ImageIoThumbnailer.subsampling(info, List.of(ThumbnailSpec.scale(4000, 3000))))
        .isEqualTo(1);
  }

  @Test
  void animatedGifsStayAnimatedWithTheirTimingOnlyWhenAsked() throws Exception {
    Path source =
        file(
            "anim.gif",
            TestImages.animatedGif(60, 40, new Color[] {Color.RED, Color.GREEN, Color.BLUE}, 25));
    ImageInfo info = thumbnailer().probe(source, "image/gif").orElseThrow();
    assertThat(info.frameCount()).isEqualTo(3);
    List<GeneratedThumbnail> made =
        thumbnailer()
            .generate(
                source,
                info,
                List.of(
                    new ThumbnailSpec(30, 20, ThumbnailSpec.ThumbnailMethod.SCALE, true),
                    ThumbnailSpec.scale(30, 20)),
                MAX_PIXELS,
                dir);
    GeneratedThumbnail animated =
        made.stream().filter(t -> t.requested().animated()).findFirst().orElseThrow();
    GeneratedThumbnail still =
        made.stream().filter(t -> !t.requested().animated()).findFirst().orElseThrow();
    assertThat(animated.contentType()).isEqualTo("image/gif");
    assertThat(still.contentType()).isEqualTo("image/png");
    try (ImageInputStream in = ImageIO.createImageInputStream(animated.file().toFile())) {
      ImageReader reader = ImageIO.getImageReaders(in).next();
      reader.setInput(in);
      assertThat(reader.getNumImages(true)).isEqualTo(3);
      assertThat(reader.getWidth(0)).isEqualTo(30);
      IIOMetadataNode root =
          (IIOMetadataNode) reader.getImageMetadata(1).getAsTree("javax_imageio_gif_image_1.0");
      IIOMetadataNode gce =
          (IIOMetadataNode) root.getElementsByTagName("GraphicControlExtension").item(0);
      assertThat(gce.getAttribute("delayTime")).isEqualTo("25");
      assertThat(new Color(reader.read(1).getRGB(15, 10)).getGreen()).isGreaterThan(200);
    }
  }
}
