"""Regenerate the example catalog's product images (drawn with Pillow, no photos, no fonts).

Run from the repo root: ``python examples/catalog/make_images.py``. The images are committed;
this script documents how they were made and keeps them reproducible.
"""

from __future__ import annotations

from pathlib import Path

from PIL import Image, ImageDraw, ImageFilter

SIZE = 640
HERE = Path(__file__).resolve().parent / "images"


def canvas(top: tuple[int, int, int], bottom: tuple[int, int, int]) -> tuple[Image.Image, ImageDraw.ImageDraw]:
    image = Image.new("RGB", (SIZE, SIZE))
    draw = ImageDraw.Draw(image)
    for y in range(SIZE):
        t = y / (SIZE - 1)
        draw.line([(0, y), (SIZE, y)], fill=tuple(int(a + (b - a) * t) for a, b in zip(top, bottom, strict=True)))
    return image, draw


def shadow(image: Image.Image, box: tuple[int, int, int, int]) -> None:
    layer = Image.new("L", image.size, 0)
    ImageDraw.Draw(layer).ellipse(box, fill=90)
    layer = layer.filter(ImageFilter.GaussianBlur(14))
    image.paste((60, 60, 70), mask=layer)


def cup(d: ImageDraw.ImageDraw) -> None:
    d.rounded_rectangle((230, 150, 410, 520), 40, fill=(196, 203, 214), outline=(120, 128, 140), width=4)
    d.rounded_rectangle((220, 110, 420, 170), 20, fill=(70, 80, 96))
    d.rectangle((250, 200, 275, 470), fill=(230, 236, 244))


def toothbrush(d: ImageDraw.ImageDraw) -> None:
    d.rounded_rectangle((290, 200, 350, 540), 28, fill=(250, 250, 252), outline=(190, 190, 200), width=3)
    d.rounded_rectangle((305, 90, 335, 210), 12, fill=(235, 235, 240))
    d.rectangle((300, 70, 340, 110), fill=(120, 200, 230))
    d.ellipse((305, 330, 335, 360), fill=(80, 170, 220))


def nuts(d: ImageDraw.ImageDraw) -> None:
    d.rounded_rectangle((170, 170, 470, 520), 30, fill=(236, 140, 48))
    d.rectangle((170, 170, 470, 230), fill=(200, 90, 30))
    for i, (x, y) in enumerate([(230, 300), (320, 280), (400, 320), (260, 400), (360, 410)]):
        d.ellipse((x - 30, y - 22, x + 30, y + 22), fill=(150 + i * 10, 100, 50), outline=(110, 70, 30), width=3)


def bedding(d: ImageDraw.ImageDraw) -> None:
    for i, color in enumerate([(240, 230, 215), (210, 190, 170), (180, 205, 220)]):
        d.rounded_rectangle((150 + i * 10, 380 - i * 90, 490 - i * 10, 470 - i * 90), 16, fill=color,
                            outline=(150, 140, 130), width=3)


def shoe(d: ImageDraw.ImageDraw) -> None:
    d.polygon([(130, 430), (170, 300), (280, 280), (360, 340), (500, 370), (520, 430)], fill=(40, 44, 52))
    d.rectangle((130, 430, 520, 460), fill=(240, 240, 240))
    d.line([(200, 330), (320, 330)], fill=(230, 60, 60), width=8)


def lipstick(d: ImageDraw.ImageDraw) -> None:
    d.rectangle((270, 320, 370, 540), fill=(30, 30, 34))
    d.rectangle((280, 250, 360, 330), fill=(205, 170, 90))
    d.polygon([(288, 250), (352, 250), (352, 150), (288, 190)], fill=(190, 30, 60))


def rice_cooker(d: ImageDraw.ImageDraw) -> None:
    d.rounded_rectangle((160, 250, 480, 500), 60, fill=(250, 250, 250), outline=(200, 200, 205), width=4)
    d.ellipse((170, 180, 470, 320), fill=(235, 235, 238), outline=(200, 200, 205), width=4)
    d.rounded_rectangle((270, 380, 370, 440), 10, fill=(60, 70, 90))
    d.ellipse((300, 395, 320, 415), fill=(90, 220, 120))


def seeds(d: ImageDraw.ImageDraw) -> None:
    for x in (210, 430):
        d.rounded_rectangle((x - 90, 160, x + 90, 520), 24, fill=(200, 40, 40), outline=(150, 20, 20), width=3)
        d.ellipse((x - 50, 280, x + 50, 380), fill=(250, 220, 120))


def charger(d: ImageDraw.ImageDraw) -> None:
    d.rounded_rectangle((230, 230, 410, 450), 36, fill=(250, 250, 250), outline=(190, 190, 195), width=4)
    d.rectangle((280, 170, 295, 235), fill=(180, 180, 185))
    d.rectangle((345, 170, 360, 235), fill=(180, 180, 185))
    d.rounded_rectangle((300, 400, 340, 420), 6, fill=(60, 120, 220))


def detergent(d: ImageDraw.ImageDraw) -> None:
    d.rounded_rectangle((200, 210, 440, 530), 40, fill=(40, 110, 210))
    d.rounded_rectangle((280, 140, 360, 220), 14, fill=(250, 250, 250))
    d.rounded_rectangle((230, 300, 410, 430), 20, fill=(240, 248, 255))


def paper(d: ImageDraw.ImageDraw) -> None:
    for i in range(5):
        d.rectangle((170, 430 - i * 55, 470, 475 - i * 55), fill=(250, 250, 250), outline=(150, 160, 175), width=3)
        d.rectangle((170, 440 - i * 55, 470, 455 - i * 55), fill=(60, 130, 200))


def wipes(d: ImageDraw.ImageDraw) -> None:
    d.rounded_rectangle((150, 240, 490, 470), 50, fill=(250, 250, 252), outline=(200, 205, 215), width=4)
    d.rounded_rectangle((250, 270, 390, 330), 20, fill=(120, 200, 190))
    d.ellipse((290, 360, 350, 420), fill=(250, 200, 210))


PRODUCTS = [
    ("SK1001", cup, (230, 240, 250), (190, 205, 225)),
    ("SK1002", toothbrush, (225, 245, 250), (180, 220, 235)),
    ("SK1003", nuts, (255, 244, 225), (245, 210, 160)),
    ("SK1004", bedding, (250, 245, 238), (225, 215, 200)),
    ("SK1005", shoe, (235, 238, 245), (200, 205, 220)),
    ("SK1006", lipstick, (252, 235, 238), (240, 200, 210)),
    ("SK1007", rice_cooker, (245, 245, 240), (215, 215, 205)),
    ("SK1008", seeds, (255, 248, 230), (240, 220, 170)),
    ("SK1009", charger, (238, 242, 250), (205, 215, 235)),
    ("SK1010", detergent, (230, 242, 255), (190, 215, 245)),
    ("SK1011", paper, (242, 245, 248), (210, 218, 228)),
    ("SK1012", wipes, (235, 250, 246), (195, 232, 222)),
]


def main() -> None:
    HERE.mkdir(parents=True, exist_ok=True)
    for product_id, draw_product, top, bottom in PRODUCTS:
        image, draw = canvas(top, bottom)
        shadow(image, (150, 500, 490, 570))
        draw_product(draw)
        image.save(HERE / f"{product_id.lower()}.jpg", "JPEG", quality=82, optimize=True, progressive=True)


if __name__ == "__main__":
    main()
