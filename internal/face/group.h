#ifdef __cplusplus
extern "C" {
#endif

int face_group_rectangles(int *xywh, int n, int min_neighbors, double eps);

#ifdef __cplusplus
}
#endif
