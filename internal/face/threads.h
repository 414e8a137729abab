#ifdef __cplusplus
extern "C" {
#endif

void face_set_num_threads(int n);
int face_get_num_threads(void);

#ifdef __cplusplus
}
#endif
