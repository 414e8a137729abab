package nn

// activate sets dst[i] = act(a·x[i] + b), with a loop per kind of
// activation so that the rectifiers stay branch-light.
func activate[T float](act Activation, dst, x []T, a, b T) {
	switch {
	case act.tanh:
		for i, v := range x {
			dst[i] = T(act.apply(float64(a*v + b)))
		}
	case act.slope == 1:
		for i, v := range x {
			dst[i] = a*v + b
		}
	default:
		slope := T(act.slope)
		for i, v := range x {
			v = a*v + b
			if v < 0 {
				v *= slope
			}
			dst[i] = v
		}
	}
}
