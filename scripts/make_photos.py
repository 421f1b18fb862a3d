"""Draw the demo hotel's small placeholder photos (run once; the JPEGs are committed under media/photos/).

The demo hotel is fictional, so its "photos" are simple illustrations: a facade and two views per room type.
"""

from __future__ import annotations

from pathlib import Path

from PIL import Image, ImageDraw

OUT = Path(__file__).resolve().parent.parent / "media" / "photos"
PALETTES = {
    "double": ((214, 196, 170), (120, 90, 60)),
    "twin": ((190, 210, 220), (60, 90, 120)),
    "superior_king": ((225, 205, 190), (150, 70, 50)),
    "family": ((205, 225, 190), (70, 120, 60)),
    "junior_suite": ((220, 200, 230), (100, 60, 130)),
}


def room(code: str, view: int) -> Image.Image:
    wall, accent = PALETTES[code]
    image = Image.new("RGB", (640, 400), wall)
    draw = ImageDraw.Draw(image)
    draw.rectangle((0, 300, 640, 400), fill=(150, 120, 90))  # floor
    beds = 2 if code in ("twin", "family") else 1
    for index in range(beds):
        left = 120 + index * 220 if beds > 1 else 200
        width = 160 if beds > 1 else 240
        draw.rectangle((left, 220, left + width, 320), fill=(245, 245, 240), outline=accent, width=4)
        draw.rectangle((left, 190, left + width, 225), fill=accent)
    draw.rectangle(
        (460 - view * 300, 60, 580 - view * 300, 170), fill=(170, 210, 240), outline=(255, 255, 255), width=6
    )
    if code == "superior_king":
        draw.line((0, 200, 110, 200), fill=(60, 60, 60), width=5)  # balcony rail
    draw.text((20, 20), f"Hotel Aurora Palermo - {code} {view}", fill=(40, 40, 40))
    return image


def facade() -> Image.Image:
    image = Image.new("RGB", (640, 400), (160, 200, 235))
    draw = ImageDraw.Draw(image)
    draw.rectangle((140, 60, 500, 400), fill=(235, 225, 205), outline=(120, 100, 80), width=4)
    for floor in range(4):
        for column in range(4):
            x, y = 170 + column * 82, 90 + floor * 70
            draw.rectangle((x, y, x + 50, y + 45), fill=(120, 160, 200))
    draw.rectangle((290, 340, 350, 400), fill=(110, 70, 40))
    draw.text((250, 30), "HOTEL AURORA PALERMO", fill=(40, 40, 40))
    return image


def main() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    facade().save(OUT / "facade.jpg", quality=70)
    for code in PALETTES:
        for view in (1, 2):
            room(code, view).save(OUT / f"{code}-{view}.jpg", quality=70)


if __name__ == "__main__":
    main()
