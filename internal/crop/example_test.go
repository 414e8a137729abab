package crop_test

import (
	"fmt"

	"animeface/internal/crop"
)

func ExampleKey() {
	fmt.Println(crop.Key("demo/game/images/eileen happy.png", 0))
	fmt.Println(crop.Key("demo/game/images/eileen happy.png", 1))
	// Output:
	// demo_game_images_eileen_happy_png-3f3dec64e1-0
	// demo_game_images_eileen_happy_png-3f3dec64e1-1
}

// Machine 3 of 8 takes the files whose path hashes to share 3.
func ExamplePart() {
	p, err := crop.ParsePart("3/8")
	if err != nil {
		panic(err)
	}
	fmt.Println(p.Prefix("faces"))
	for _, name := range []string{"a.png", "b.png", "c.png", "d.png", "e.png",
		"f.png", "g.png", "h.png", "i.png", "j.png", "k.png", "l.png"} {
		if p.Has(name) {
			fmt.Println(name)
		}
	}
	// Output:
	// faces-part3-of8
	// c.png
	// k.png
}
